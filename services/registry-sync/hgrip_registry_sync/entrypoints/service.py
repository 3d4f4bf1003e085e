"""The registry-sync nameko service: every submitted backup number, and every change of a numbered
backup's owner, reaches HGRG, once.

``on_backup_submitted`` records a pending sync state per new number (a prefetched batch of events in
one unit of work), ``on_backup_delegated`` and
``on_backup_claimed`` a pending owner change (``app/intake.py``); each row is born leased to this
process's pusher and handed over to it (``pusher_provider.py``), which pushes at once and retries
with backoff for as long as HGRG is away.
The use cases get the service's ``Ports`` and the request (``self.ctx``).

The nameko service name is ``registry-sync`` (dash), the same as the entry point, the config key
and the event source: call it as ``RpcProxy("registry-sync")`` or ``cluster["registry-sync"]``.
"""
from nameko.rpc import rpc

from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, event_consumer, refusing_rpc

from ..adapters.read_models import sql_ports
from ..app import intake, status
from ..app.ports import Ports
from .metrics_provider import HgrgGauges
from .pusher_provider import SyncPusherProvider
from .schemas import check_backup_submitted


class RegistrySyncService:
    name = "registry-sync"

    store = EventStoreProvider()
    ctx = RequestContext()
    pusher = SyncPusherProvider()
    hgrg_gauges = HgrgGauges()   # pending/failing pushes and the oldest one's age, at each metrics scrape

    @rpc
    def health(self):
        return health_report(self.name, self.store)

    @refusing_rpc
    def get_sync_state(self, backup_number):
        return status.sync_state(self._ports(), str(backup_number))

    @refusing_rpc
    def get_owner_changes(self, backup_number):
        """Every owner change of a backup number pushed (or to push) to HGRG, by sequence; [] if none."""
        return status.owner_changes(self._ports(), backup_number)

    @refusing_rpc
    def get_pushes(self, backup_number):
        """The operator's console: a backup number's push and owner changes, with attempts and errors."""
        return status.pushes(self._ports(), backup_number)

    @refusing_rpc
    def sync_summary(self):
        """The operator's console: pending and failing counts, oldest pending age, last success."""
        return status.summary(self._ports())

    @event_consumer("backups", "BackupSubmitted", batch=True)
    def on_backup_submitted(self, envelopes):
        """Every delivery waiting, in one unit of work (the kernel's batch: if this raises — an
        invalid event, a lost race — each event is tried again alone and fails on its own)."""
        items = [(envelope, *check_backup_submitted(envelope.data)) for envelope in envelopes]
        for envelope, backup_number, backup_id in intake.request_syncs(self._ports(), self.ctx, items, self.pusher):
            self.ctx.log.info("sync_requested", backup_number=backup_number, backup_id=backup_id,
                              correlation_id=envelope.correlation_id)

    @event_consumer("backups", "BackupDelegated")
    def on_backup_delegated(self, envelope):
        self._record_owner_change(envelope)

    @event_consumer("backups", "BackupClaimed")
    def on_backup_claimed(self, envelope):
        self._record_owner_change(envelope)

    def _record_owner_change(self, envelope):
        body = intake.request_owner_change(self._ports(), self.ctx, envelope, self.pusher)
        if body is not None:
            self.ctx.log.info("owner_change_requested", change_id=body["change_id"],
                              backup_number=body["backup_number"], reason=body["reason"],
                              sequence=body["sequence"])

    # --- wiring ---------------------------------------------------------------------------------
    def _ports(self) -> Ports:
        return sql_ports(self.store)
