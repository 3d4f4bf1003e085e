"""The registry-sync nameko service: every submitted backup number, and every change of a numbered
backup's owner, reaches HGRG, once.

``on_backup_submitted`` records a pending sync state, ``on_backup_delegated`` and
``on_backup_claimed`` a pending owner change; each wakes the pusher (pusher_provider.py), which
pushes at once and retries with backoff for as long as HGRG is away.

The nameko service name is ``registry-sync`` (dash), the same as the entry point, the config key
and the event source: call it as ``RpcProxy("registry-sync")`` or ``cluster["registry-sync"]``.
"""
from nameko.rpc import rpc

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.errors import DomainError
from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, event_consumer

from . import projections
from .domain import OwnerChange, SyncState, owner_change_body, refusals
from .pusher_provider import SyncPusherProvider
from .schemas import check_backup_submitted

INBOX_CONSUMER = "registry-sync.on_backup_submitted"
OWNER_INBOX = {"BackupDelegated": "registry-sync.on_backup_delegated",
               "BackupClaimed": "registry-sync.on_backup_claimed"}

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

    @refusing_rpc
    def get_owner_changes(self, backup_number):
        """Every owner change of a backup number pushed (or to push) to HGRG, by sequence; [] if none."""
        if not isinstance(backup_number, str) or not backup_number.strip():
            raise refusals.invalid_backup_number(backup_number)
        with self.store.engine.connect() as connection:
            rows = projections.owner_changes_of(connection, backup_number.strip())
        return [projections.owner_change_to_dict(row) for row in rows]

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

    @event_consumer("backups", "BackupDelegated")
    def on_backup_delegated(self, envelope):
        self._record_owner_change(envelope)

    @event_consumer("backups", "BackupClaimed")
    def on_backup_claimed(self, envelope):
        self._record_owner_change(envelope)

    def _record_owner_change(self, envelope):
        """One owner change to push, keyed by the event id; nothing for a backup with no number."""
        body = owner_change_body(envelope.event_type, envelope.event_id, envelope.data)
        if body is None:   # an unsubmitted backup: HGRG knows only numbered ones
            self.ctx.log.info("owner_change_without_number", event_type=envelope.event_type,
                              backup_id=envelope.data.get("backup_id"))
            return
        with self.store.unit_of_work(actor=envelope.actor, correlation_id=self.ctx.correlation_id,
                                     causation_id=envelope.event_id) as uow:
            if not uow.first_time(OWNER_INBOX[envelope.event_type], envelope.event_id):
                self.ctx.log.info("owner_change_duplicate", change_id=envelope.event_id,
                                  backup_number=body["backup_number"])
                return
            # A concurrent redelivery loses on UNIQUE(stream, version) or on the inbox key, rolls
            # back whole, and its retry lands above.
            [requested] = uow.save(OwnerChange.request(body, utcnow()))
            projections.apply(uow.connection, requested)
        self.pusher.wake()
        self.ctx.log.info("owner_change_requested", change_id=body["change_id"],
                          backup_number=body["backup_number"], reason=body["reason"],
                          sequence=body["sequence"])
