"""Creating a project (manual "创建项目信息")."""
from typing import Any

from hgrip_kernel.envelope import Envelope, utcnow
from hgrip_kernel.ids import time_ordered_id
from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import Project, ProjectDetails
from .ports import Ports
from .writing import save_project, write


def create_project(ports: Ports, request: Request, actor_id: str, details: ProjectDetails,
                   consent: object) -> dict[str, Any]:
    """Create the actor's project; returns its read-model row. Refusals: the domain's, and identity's.

    The account is asked before the unit of work opens: no transaction waits on a peer.
    """
    # The account as identity knows it now: role, real name, authorisation, institution.
    account = ports.identity.get_account(actor_id)
    project_id = time_ordered_id()  # a new stream: its keys land at the indexes' right edge

    def work(uow: UnitOfWork) -> tuple[Envelope, dict[str, Any] | None]:
        records = ports.db.within(uow)
        project = Project.create(
            project_id, account, details, consent,
            name_taken=lambda name: bool(records.names_taken(account["id"], [name])),
            now=utcnow())
        return save_project(ports, uow, project)

    # A new stream: no race to lose on it (a lost name race is the read model's refusal).
    created, row = write(ports, request, actor_id, work)
    assert row is not None   # a created project has its new row
    request.log.info("project_created", project_id=project_id, owner_id=account["id"], event_id=created.event_id)
    return row
