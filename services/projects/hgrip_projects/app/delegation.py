"""Moving projects with a delegation transfer (委托调整), from the RPC or from the event."""
from typing import Any

from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import Delegation, Project, Transfer, delegate_projects, project_stream_id
from .ports import Ports
from .writing import save_project, write

CONSUMER_DELEGATION_TRANSFERRED = "projects.on_delegation_transferred"


def transfer_projects(ports: Ports, request: Request, transfer: Transfer,
                      event_id: str | None = None) -> dict[str, list[str]] | None:
    """Delegate every listed project in one unit of work (all or none); with ``event_id``, the
    inbox mark commits with it and a duplicate returns None."""
    account = ports.identity.get_account(transfer.to_owner_id)
    unit = account.get("unit") or None
    if (unit["code"] if unit else None) != transfer.to_unit_code:
        # The project's unit is its owner's unit as identity knows it now (as at creation).
        request.log.warning("delegate_unit_changed", transfer_id=transfer.transfer_id,
                            transfer_unit=transfer.to_unit_code, identity_unit=unit["code"] if unit else None)
    delegation = Delegation(
        transfer_id=transfer.transfer_id, from_owner_id=transfer.from_owner_id,
        to_owner_id=transfer.to_owner_id, to_username=transfer.to_username,
        unit_code=unit["code"] if unit else None, unit_name=unit["name"] if unit else None,
        delegated_by=transfer.transferred_by, delegated_at=transfer.transferred_at)

    def work(uow: UnitOfWork) -> dict[str, list[str]] | None:
        if event_id is not None and not uow.first_time(CONSUMER_DELEGATION_TRANSFERRED, event_id):
            return None
        records = ports.db.within(uow)
        loaded = {project_id: uow.load(Project, project_stream_id(project_id))
                  for project_id in transfer.project_ids}
        result = delegate_projects(
            loaded, delegation,
            names_taken=lambda moving: records.names_taken(transfer.to_owner_id, moving.values(), except_ids=moving))
        for project_id in result["moved"]:
            project = loaded[project_id]
            assert project is not None  # only a loaded project moves
            save_project(ports, uow, project)
        return result

    result: dict[str, Any] | None = write(ports, request, transfer.transferred_by, work)
    if result is not None:
        request.log.info("projects_transferred", transfer_id=transfer.transfer_id,
                         from_owner_id=transfer.from_owner_id, to_owner_id=transfer.to_owner_id,
                         moved=len(result["moved"]), already=len(result["already"]), skipped=result["skipped"])
    return result
