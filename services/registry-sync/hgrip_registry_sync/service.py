"""The registry-sync nameko service: every submitted backup number reaches HGRG, once.

``on_backup_submitted`` records a pending sync state and wakes the pusher (pusher_provider.py),
which pushes it at once and retries with backoff for as long as HGRG is away.

The nameko service name is ``registry-sync`` (dash), the same as the entry point, the config key
and the event source: call it as ``RpcProxy("registry-sync")`` or ``cluster["registry-sync"]``.
"""
from hgrip_kernel.envelope import utcnow
from hgrip_kernel.errors import DomainError
from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, event_consumer
from nameko.rpc import rpc

from . import projections
from .domain import SyncState, refusals
from .pusher_provider import SyncPusherProvider
from .schemas import check_backup_submitted

INBOX_CONSUMER = "registry-sync.on_backup_submitted"

# Refusals are answers, not faults: nameko logs them as warnings rather than errors.
refusing_rpc = rpc(expected_exceptions=DomainError)


class RegistrySyncService:
    name = "registry-sync"

    store = EventStoreProvider()
    ctx = RequestContext()
    pusher = SyncPusherProvider()

    @rpc
    def health(self):
        return health_report(self.name, self.store)

    @refusing_rpc
    def get_sync_state(self, backup_number):
        with self.store.engine.connect() as connection:
            row = projections.get(connection, str(backup_number))
        if row is None:
            raise refusals.sync_state_not_found(str(backup_number))
        return projections.to_dict(row)

    @event_consumer("backups", "BackupSubmitted")
    def on_backup_submitted(self, envelope):
        backup_number, backup_id = check_backup_submitted(envelope.data)
        # The correlation id is the submit request's: it rides on the sync's events and row, and
        # every push attempt logs under it.
        with self.store.unit_of_work(actor=envelope.actor, correlation_id=self.ctx.correlation_id,
                                     causation_id=envelope.event_id) as uow:
            if not uow.first_time(INBOX_CONSUMER, envelope.event_id):
                self.ctx.log.info("backup_submitted_duplicate", backup_number=backup_number)
                return
            # Idempotent by number too: another event naming a number already known adds nothing.
            # (Two such events at once: the loser's append fails on UNIQUE(stream, version), its
            # unit of work rolls back whole, and its retry lands here.)
            if projections.exists(uow.connection, backup_number):
                self.ctx.log.info("sync_already_requested", backup_number=backup_number)
                return
            sync = SyncState.request(backup_number, backup_id, envelope.data, envelope.event_id,
                                     utcnow())
            [requested] = uow.save(sync)
            projections.apply(uow.connection, requested)
        self.pusher.wake()
        self.ctx.log.info("sync_requested", backup_number=backup_number, backup_id=backup_id)
