"""Creating a project (manual "创建项目信息")."""
import uuid
from typing import Any

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.ports import EventStore, Request

from ..domain import Project, ProjectDetails
from .ports import Database, Identity


def create_project(store: EventStore, db: Database, identity: Identity, request: Request, actor_id: str,
                   details: ProjectDetails, consent: object) -> dict[str, Any]:
    """Create the actor's project; returns its read-model row. Refusals: the domain's, and identity's.

    The account is asked before the unit of work opens: no transaction waits on a peer.
    """
    # The account as identity knows it now: role, real name, authorisation, institution.
    account = identity.get_account(actor_id)
    project_id = str(uuid.uuid4())
    with store.unit_of_work(actor=actor_id, correlation_id=request.correlation_id,
                            causation_id=request.causation_id) as uow:
        records = db.within(uow)
        project = Project.create(
            project_id, account, details, consent,
            name_taken=lambda name: bool(records.names_taken(account["id"], [name])),
            now=utcnow())
        [created] = uow.save(project)
        row = records.apply_project_created(created)
    request.log.info("project_created", project_id=project_id, owner_id=account["id"], event_id=created.event_id)
    return row
