"""The backups nameko service (skeleton): health, and the projects it has learnt of."""
from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, event_consumer
from nameko.rpc import rpc

from . import projections

CONSUMER_PROJECT_CREATED = "backups.on_project_created"


class BackupsService:
    name = "backups"

    store = EventStoreProvider()
    ctx = RequestContext()

    @rpc
    def health(self):
        return health_report(self.name, self.store)

    @event_consumer("projects", "ProjectCreated")
    def on_project_created(self, envelope):
        with self.store.unit_of_work(actor=envelope.actor, correlation_id=self.ctx.correlation_id,
                                     causation_id=envelope.event_id) as uow:
            # The inbox mark and the row commit together: a redelivered event is a no-op.
            if not uow.first_time(CONSUMER_PROJECT_CREATED, envelope.event_id):
                self.ctx.log.info("duplicate_event_ignored", event_id=envelope.event_id)
                return
            projections.apply_project_created(uow.connection, envelope)
        self.ctx.log.info("project_known", project_id=envelope.data["project_id"],
                          event_id=envelope.event_id)

    @rpc
    def get_known_project(self, project_id):
        with self.store.engine.connect() as connection:
            return projections.get_known_project(connection, str(project_id))
