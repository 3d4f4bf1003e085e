"""What enters the push queues: a submitted backup number (``backups.BackupSubmitted``) and a change
of a numbered backup's owner (``backups.BackupDelegated`` / ``backups.BackupClaimed``), each recorded
once (inbox and key) with its pending row, in one unit of work; the row is handed to this process's
pusher (born leased to it) once committed.
"""
from dataclasses import replace

from hgrip_kernel.envelope import Envelope
from hgrip_kernel.ports import Request

from ..domain import OwnerChange, PushState, SyncState, owner_change_body
from .ports import DueRow, Handover, Ports
from .writing import saved

INBOX_CONSUMER = "registry-sync.on_backup_submitted"
OWNER_INBOX = {"BackupDelegated": "registry-sync.on_backup_delegated",
               "BackupClaimed": "registry-sync.on_backup_claimed"}


def request_sync(ports: Ports, request: Request, envelope: Envelope, backup_number: str, backup_id: str,
                 pusher: Handover | None = None) -> bool:
    """A pending sync of a submitted backup number (``backup_number``, ``backup_id``: checked from
    ``envelope.data``); False when this event or this number was seen before. With ``pusher``, the
    row is born leased to it and handed over once committed."""
    log, now = request.log, ports.clock()
    # The correlation id is the submit request's: it rides on the sync's events and row, and
    # every push attempt logs under it.
    with ports.store.unit_of_work(actor=envelope.actor, correlation_id=request.correlation_id,
                                  causation_id=envelope.event_id) as uow:
        if not uow.first_time(INBOX_CONSUMER, envelope.event_id):
            log.info("backup_submitted_duplicate", backup_number=backup_number)
            return False
        # Idempotent by number too: another event naming a number already known adds nothing.
        # (Two such events at once: the loser's append fails on UNIQUE(stream, version), its
        # unit of work rolls back whole, and its retry lands here.)
        if ports.rows.number_known(uow, backup_number):
            log.info("sync_already_requested", backup_number=backup_number)
            return False
        row = _save_new(ports, uow, SyncState.request(backup_number, backup_id, envelope.data,
                                                       envelope.event_id, now), pusher)
    if pusher is not None:
        pusher.hand_over(row)
    return True


def request_owner_change(ports: Ports, request: Request, envelope: Envelope,
                         pusher: Handover | None = None) -> dict | None:
    """A pending owner change, keyed by the event id; the body to push, or None when there is nothing
    new to push (no number yet, or this event was seen before). ``pusher`` as for ``request_sync``."""
    log, now = request.log, ports.clock()
    body = owner_change_body(envelope.event_type, envelope.event_id, envelope.data)
    if body is None:   # an unsubmitted backup: HGRG knows only numbered ones
        log.info("owner_change_without_number", event_type=envelope.event_type,
                 backup_id=envelope.data.get("backup_id"))
        return None
    with ports.store.unit_of_work(actor=envelope.actor, correlation_id=request.correlation_id,
                                  causation_id=envelope.event_id) as uow:
        if not uow.first_time(OWNER_INBOX[envelope.event_type], envelope.event_id):
            log.info("owner_change_duplicate", change_id=envelope.event_id, backup_number=body["backup_number"])
            return None
        # A concurrent redelivery loses on UNIQUE(stream, version) or on the inbox key, rolls
        # back whole, and its retry lands above.
        row = _save_new(ports, uow, OwnerChange.request(body, now), pusher)
    if pusher is not None:
        pusher.hand_over(row)
    return body


def _save_new(ports: Ports, uow, push: PushState, pusher: Handover | None) -> DueRow:
    """The request's event and its pending row — leased to ``pusher`` if given — as the row to push."""
    [stored], [change] = saved(uow, push)
    if pusher is not None:   # hidden from every other pusher until this one has had its go
        change = replace(change, values={**change.values, "next_attempt_at": ports.clock() + pusher.lease})
    ports.rows.apply(uow, [change])
    return DueRow(change.queue, change.key, change.values["payload"], change.values["correlation_id"], 0)
