"""The projects nameko service: create a project, list and read one's own projects, and move
projects to another owner with a delegation transfer (委托调整).

Thin: each RPC loads its payload with a schema, calls a use case (``app/``) with the service's
``Ports`` and the request (``self.ctx``), and encodes the answer.
"""
from nameko.rpc import rpc

from hgrip_kernel.errors import Conflict
from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, PeerProxy, RequestContext, event_consumer, refusing_rpc

from ..adapters.peers import IdentityOverRpc
from ..adapters.read_models import SqlDatabase
from ..app import creation, delegation, queries
from ..app.ports import Ports
from ..app.views import project_view
from .schemas import load_create_project, load_names, load_transfer


class ProjectsService:
    name = "projects"

    store = EventStoreProvider()
    ctx = RequestContext()
    identity = PeerProxy("identity")

    @rpc
    def health(self):
        return health_report(self.name, self.store)

    @refusing_rpc
    def create_project(self, actor_id, payload):
        details, consent = load_create_project(payload)
        row = creation.create_project(self._ports(), self.ctx, actor_id, details, consent)
        return project_view(row)

    @rpc
    def list_projects(self, actor_id):
        return [project_view(row) for row in queries.list_projects(self._ports(), actor_id)]

    @refusing_rpc
    def get_project(self, actor_id, project_id):
        return project_view(queries.get_project(self._ports(), actor_id, project_id))

    # --- delegation transfers (委托调整) ------------------------------------------------------
    @refusing_rpc
    def project_names_taken(self, owner_id, names):
        """Which of ``names`` the owner already uses: a transfer to that owner would be refused."""
        return queries.project_names_taken(self._ports(), owner_id, load_names(names))

    @refusing_rpc
    def transfer_projects(self, payload):
        """Move the projects of a backups.DelegationTransferred (its data dict); idempotent."""
        transfer = load_transfer(payload)
        return delegation.transfer_projects(self._ports(), self.ctx, transfer)

    @event_consumer("backups", "DelegationTransferred")
    def on_delegation_transferred(self, envelope):
        """The same as transfer_projects, for when backups' synchronous call did not get through."""
        transfer = load_transfer(envelope.data)
        try:
            result = delegation.transfer_projects(self._ports(), self.ctx, transfer, event_id=envelope.event_id)
        except Conflict as exc:
            if exc.code != "delegate_has_project_named":
                raise
            # Retrying will not help while the clash lasts: the kernel's bounded retries park
            # the message in the dead letters, where an operator decides and can replay it.
            self.ctx.log.error("delegation_transfer_refused", code=exc.code, names=exc.details["names"],
                               transfer_id=transfer.transfer_id, event_id=envelope.event_id)
            raise
        if result is None:
            self.ctx.log.info("duplicate_event_ignored", event_id=envelope.event_id)

    # --- wiring ---------------------------------------------------------------------------------
    def _ports(self) -> Ports:
        return Ports(store=self.store, db=SqlDatabase(self.store.engine), identity=IdentityOverRpc(self.identity))
