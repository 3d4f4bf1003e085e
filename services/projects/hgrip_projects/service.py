"""The projects nameko service: create a project, list and read one's own projects."""
import uuid

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.errors import DomainError
from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, RequestContext
from nameko.rpc import RpcProxy, rpc

from . import projections
from .domain import Project, refusals
from .schemas import load_create_project

# Refusals are answers, not faults: nameko logs them as warnings rather than errors.
refusing_rpc = rpc(expected_exceptions=DomainError)


class ProjectsService:
    name = "projects"

    store = EventStoreProvider()
    ctx = RequestContext()
    identity = RpcProxy("identity")

    @rpc
    def health(self):
        return health_report(self.name, self.store)

    @refusing_rpc
    def create_project(self, actor_id, payload):
        details, consent = load_create_project(payload)
        # The account as identity knows it now: role, real name, authorisation, institution.
        account = self.identity.get_account(actor_id)
        project_id = str(uuid.uuid4())
        with self.store.unit_of_work(actor=actor_id, correlation_id=self.ctx.correlation_id,
                                     causation_id=self.ctx.causation_id) as uow:
            project = Project.create(
                project_id, account, details, consent,
                name_taken=lambda name: projections.name_taken(uow.connection, account["id"], name),
                now=utcnow())
            [created] = uow.save(project)
            row = projections.apply_project_created(uow.connection, created)
        self.ctx.log.info("project_created", project_id=project_id, owner_id=account["id"],
                          event_id=created.event_id)
        return projections.to_dict(row)

    @rpc
    def list_projects(self, actor_id):
        owner_id = _canonical_uuid(actor_id) or str(actor_id)
        with self.store.engine.connect() as connection:
            rows = projections.list_for_owner(connection, owner_id)
        return [projections.to_dict(row) for row in rows]

    @refusing_rpc
    def get_project(self, actor_id, project_id):
        project_id = _canonical_uuid(project_id)
        if project_id is None:
            raise refusals.project_not_found()
        owner_id = _canonical_uuid(actor_id) or str(actor_id)
        with self.store.engine.connect() as connection:
            row = projections.get_for_owner(connection, owner_id, project_id)
        if row is None:
            raise refusals.project_not_found()
        return projections.to_dict(row)


def _canonical_uuid(value) -> str | None:
    """Ids are stored in canonical lower-case form; anything that is no UUID matches nothing."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None
