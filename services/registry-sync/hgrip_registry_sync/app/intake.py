"""What enters the push queues: submitted backup numbers (``backups.BackupSubmitted``, a prefetched
batch of them in one unit of work, their events written by one INSERT) and a change of a numbered
backup's owner (``backups.BackupDelegated`` / ``backups.BackupClaimed``, one per unit of work), each
recorded once (inbox and key) with its pending row; the rows are handed to this process's pusher
(born leased to it) once committed. While HGRG answers, a batch of numbers is pushed first and
recorded with its outcome, in the same one unit of work (``request_syncs``).
"""
from collections.abc import Sequence
from dataclasses import replace

from hgrip_kernel.envelope import Envelope
from hgrip_kernel.ports import Request

from ..domain import OwnerChange, PushState, SyncState, owner_change_body
from .ports import DueRow, Handover, Ports, RowChange
from .pushing import Claim, Outcome, log_batch
from .writing import saved

INBOX_CONSUMER = "registry-sync.on_backup_submitted"
OWNER_INBOX = {"BackupDelegated": "registry-sync.on_backup_delegated",
               "BackupClaimed": "registry-sync.on_backup_claimed"}


# A submitted backup as the consumer checked it: (the event, its backup number, its backup id).
Submitted = tuple[Envelope, str, str]


def request_syncs(ports: Ports, request: Request, items: Sequence[Submitted],
                  pusher: Handover | None = None) -> list[Submitted]:
    """Pending syncs of a batch of submitted backup numbers (``items``: checked from each
    ``envelope.data``, in delivery order), in ONE unit of work; the items whose number was requested,
    in order (not an event seen before, nor a number already known or taken earlier in the batch).
    Each sync's event and row carry its own submit's correlation id (the log lines too) and its event's
    id as causation.

    With ``pusher``, while HGRG answers, the batch's numbers are pushed first, before the unit of work
    (no transaction is open while HGRG is asked), and each outcome is recorded in it with its request:
    a row is born synced (or failing, due again after its backoff). One transaction per batch, not
    one for the requests and one for their outcomes. A crash between the push and the commit
    redelivers the events, and the number is pushed again: HGRG answers "duplicate". Otherwise the
    rows are born pending, leased to ``pusher``, and handed over once committed."""
    if not items:
        return []
    log, now = request.log, ports.clock()
    pushed = _pushed_first(ports, items, pusher)
    pushed_at = ports.clock()
    requested: list[Submitted] = []
    changes: list[RowChange] = []
    first: list[tuple[Claim, Outcome, dict | None]] = []
    # Each sync's events take their ids from their own event (``saved(..., cause=)``).
    with ports.store.unit_of_work(correlation_id=request.correlation_id) as uow:
        fresh = set(uow.first_times(INBOX_CONSUMER, [envelope.event_id for envelope, _, _ in items]))
        # Idempotent by number too: another event naming a number already known adds nothing.
        # (Two such events at once: the loser's append fails on UNIQUE(stream, version), its unit
        # of work rolls back whole, and its messages are retried alone, landing here.)
        numbers = list(dict.fromkeys(number for envelope, number, _ in items if envelope.event_id in fresh))
        taken = set(ports.rows.numbers_known(uow, numbers)) if numbers else set()
        with uow.appending_in_one():   # the batch's events: one INSERT
            for item in items:
                envelope, number, backup_id = item
                if envelope.event_id not in fresh:   # applied before (or twice in this batch)
                    log.info("backup_submitted_duplicate", backup_number=number,
                             correlation_id=envelope.correlation_id)
                    continue
                fresh.discard(envelope.event_id)
                if number in taken:
                    log.info("sync_already_requested", backup_number=number, correlation_id=envelope.correlation_id)
                    continue
                taken.add(number)
                sync = SyncState.request(number, backup_id, envelope.data, envelope.event_id, now)
                [_], [change] = saved(uow, sync, cause=envelope)
                requested.append(item)
                if number not in pushed:
                    changes.append(_leased(ports, change, pusher))
                    continue
                assert pusher is not None
                claim, outcome = pushed[number]   # built from this item: a number's first fresh event
                data, outcome_changes = pusher.record_first(uow, pushed_at, sync, claim, outcome)
                changes += [change, *outcome_changes]
                first.append((claim, outcome, data))
        if changes:
            ports.rows.apply(uow, changes)
    if first:
        assert pusher is not None
        log_batch([claim for claim, _, _ in first], [outcome for _, outcome, _ in first],
                  [data for _, _, data in first], pusher.instance)
    _hand_over(pusher, [change for change in changes if change.new and change.key not in pushed])
    return requested


def _pushed_first(ports: Ports, items: Sequence[Submitted],
                  pusher: Handover | None) -> dict[str, tuple[Claim, Outcome]]:
    """The batch's new numbers pushed by ``pusher`` before they are recorded, each number once, in
    delivery order: its claim (from the number's first event in the batch) and HGRG's outcome; {}
    when nothing was pushed (HGRG away: then the committed numbers are not even looked up). A number
    already known (a redelivered event) is not pushed again; one whose event is redelivered before
    the unit of work that requested it committed (a crash, a lost race) is, and HGRG answers
    "duplicate"."""
    if pusher is None or not pusher.pushing_first:
        return {}
    claims: dict[str, Claim] = {}
    for envelope, number, _ in items:
        claims.setdefault(number, Claim(number, envelope.data, envelope.correlation_id, attempt=1))
    for number in ports.rows.numbers_committed(list(claims)):
        del claims[number]
    outcomes = pusher.push_first(list(claims.values())) if claims else None
    if outcomes is None:
        return {}
    return {claim.key: (claim, outcome) for claim, outcome in zip(claims.values(), outcomes, strict=True)}


def request_sync(ports: Ports, request: Request, envelope: Envelope, backup_number: str, backup_id: str,
                 pusher: Handover | None = None) -> bool:
    """``request_syncs`` of one event under the request's correlation id; False when this event or
    this number was seen before."""
    if request.correlation_id:   # (a consumer's request carries its event's: the same id)
        envelope = replace(envelope, correlation_id=request.correlation_id)
    return bool(request_syncs(ports, request, [(envelope, backup_number, backup_id)], pusher))


def request_owner_change(ports: Ports, request: Request, envelope: Envelope,
                         pusher: Handover | None = None) -> dict | None:
    """A pending owner change, keyed by the event id; the body to push, or None when there is nothing
    new to push (no number yet, or this event was seen before). ``pusher`` as for ``request_syncs``."""
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
        change = _save_new(ports, uow, OwnerChange.request(body, now), pusher)
    _hand_over(pusher, [change])
    return body


def _save_new(ports: Ports, uow, push: PushState, pusher: Handover | None) -> RowChange:
    """The request's event and its pending row, leased to ``pusher`` if given."""
    [_], [change] = saved(uow, push)
    change = _leased(ports, change, pusher)
    ports.rows.apply(uow, [change])
    return change


def _leased(ports: Ports, change: RowChange, pusher: Handover | None) -> RowChange:
    """A new row, hidden from every other pusher until ``pusher`` (if any) has had its go."""
    if pusher is None:
        return change
    return replace(change, values={**change.values, "next_attempt_at": ports.clock() + pusher.lease})


def _due_row(change: RowChange) -> DueRow:
    return DueRow(change.queue, change.key, change.values["payload"], change.values["correlation_id"], 0)


def _hand_over(pusher: Handover | None, changes: Sequence[RowChange]) -> None:
    """After the commit: the new rows to this process's pusher."""
    if pusher is not None:
        for change in changes:
            pusher.hand_over(_due_row(change))
