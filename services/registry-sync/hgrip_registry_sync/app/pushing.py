"""The pusher's use case: push a batch of due things to HGRG — backup numbers and owner changes — and
record how each went.

Three steps, and no database transaction is open while HGRG is being asked:
1. claim — one short transaction takes due rows of every queue (FOR UPDATE SKIP LOCKED) and leases
   them by moving ``next_attempt_at`` to now + lease, so no other pusher (thread or instance) takes
   them meanwhile;
2. push — one HTTP request carries the whole batch (docs/protocols/hgrg.md §6), outside any
   transaction, bounded by the client's time-out (< lease). HGRG's signed receipt says of each item
   whether it has it or refused it; without a verified receipt every item of the batch failed;
3. record — one unit of work appends each item's event (failed or synced), each carrying its own
   request's correlation id, all by one INSERT, and updates the rows. Should that fail, each item is recorded in a
   unit of work of its own, so one bad row cannot keep the others' outcomes from being recorded.
A pusher that dies between 1 and 3 leaves the rows leased; when the lease runs out they are due
again and someone pushes them again — HGRG's idempotence (by backup number, by change id) makes
that harmless.

While HGRG answers, the intake skips 1 and 3 for a batch of new numbers: it has the pusher push them
before they are recorded (``push_first``) and records each outcome with its request, in its own unit
of work (``record_first``; ``intake.request_syncs``).

The queues (``queues.py``) say what differs between the kinds of push; the store, the database behind
the queues (a ``PushRows`` port) and the clock are the service's ``Ports``, HGRG an ``HgrgReceipts``
port: everything here runs on fakes as well. The pusher serves no request (see ``ports.py``).
"""
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from hgrip_kernel.context import request_context
from hgrip_kernel.logging import get_logger

from ..domain import BackoffPolicy, PushState, SyncState
from .ports import BatchItem, HgrgReceipts, HgrgRefused, HgrgUnavailable, Ports, RowChange
from .queues import NUMBERS, QUEUES
from .writing import saved

log = get_logger("registry-sync.pusher")
DEFAULT_POLICY = BackoffPolicy()


@dataclass(frozen=True)
class Claim:
    key: str            # the row's key: the backup number, or the owner change's id
    payload: dict
    correlation_id: str
    attempt: int        # the number this attempt will have
    queue: str = NUMBERS.name

    @property
    def backup_number(self) -> str:
        return self.payload["backup_number"]


@dataclass(frozen=True)
class Outcome:
    hgrg_status: str | None = None   # "received" | "duplicate" when HGRG has it
    error: str | None = None
    refused: bool = False            # HGRG refused it (4xx, or this item): needs someone's attention
    duration_ms: float = 0.0         # of the batch's request


class Pusher:
    def __init__(self, ports: Ports, client: HgrgReceipts, lease_seconds: float,
                 policy: BackoffPolicy = DEFAULT_POLICY, instance: str = "registry-sync",
                 rand: Callable[[], float] = random.random, overdue_after: timedelta | None = None):
        self.ports = ports
        self.store = ports.store
        self.rows = ports.rows
        self.clock = ports.clock
        self.client = client
        self.lease = timedelta(seconds=lease_seconds)
        self.policy = policy
        self.instance = instance   # the events' actor: which instance pushed
        self.rand = rand
        self.overdue_after = overdue_after   # a number failing longer than this is reported, once
        self._first = 0            # the queue claimed from first, in turn: neither starves the other
        self.answering = True      # HGRG gave a verified receipt for the last batch pushed
        self._taken_first: dict[str, Outcome] = {}   # what HGRG has of the last batch pushed first, by key

    def claim(self, limit: int) -> list[Claim]:
        now = self.clock()
        queues = list(QUEUES)
        self._first = (self._first + 1) % len(queues)
        due = self.rows.claim_due(queues[self._first:] + queues[:self._first], now, now + self.lease, limit)
        return [Claim(row.key, row.payload, row.correlation_id, row.attempts + 1, row.queue) for row in due]

    def push(self, claims: Sequence[Claim]) -> list[Outcome]:
        """One request for the whole batch; an outcome per claim, in order."""
        started = time.monotonic()
        items = [BatchItem(QUEUES[claim.queue].kind, claim.payload, claim.correlation_id) for claim in claims]
        try:
            outcomes = [Outcome(hgrg_status=receipt.status) if receipt.status
                        else Outcome(error=receipt.refusal, refused=True)
                        for receipt in self.client.push_batch(items)]
            self.answering = True
        except HgrgUnavailable as exc:   # no verified receipt: nothing of this batch is taken as accepted
            outcomes = [Outcome(error=exc.reason, refused=isinstance(exc, HgrgRefused))] * len(claims)
            self.answering = False
        took = round((time.monotonic() - started) * 1000, 1)
        return [replace(outcome, duration_ms=took) for outcome in outcomes]

    def push_first(self, claims: Sequence[Claim]) -> list[Outcome]:
        """``push`` for claims not recorded yet (the intake's). HGRG's word that it has an item is
        kept for the last such batch: should the unit of work recording the batch fail, its events
        are retried one by one (the kernel's batch) and their numbers are not pushed again."""
        if claims and all(claim.key in self._taken_first for claim in claims):
            return [self._taken_first[claim.key] for claim in claims]
        outcomes = self.push(claims)
        self._taken_first = {claim.key: outcome for claim, outcome in zip(claims, outcomes, strict=True)
                             if outcome.hgrg_status}
        return outcomes

    def record(self, claims: Sequence[Claim], outcomes: Sequence[Outcome]) -> list[dict | None]:
        """Append every outcome and update the rows in one unit of work; per claim the attempt's event
        data, or None if the push was already recorded synced (a late outcome: dropped)."""
        with self.store.unit_of_work(actor=self.instance) as uow:
            now = self.clock()
            rows = {queue: self.rows.rows(uow, queue, [c.key for c in claims if c.queue == queue])
                    for queue in {claim.queue for claim in claims}}
            recorded: list[dict | None] = []
            changes: list[RowChange] = []
            with uow.appending_in_one():   # the batch's events: one INSERT
                for claim, outcome in zip(claims, outcomes, strict=True):
                    push = QUEUES[claim.queue].restore(rows[claim.queue][claim.key])
                    data, changed = self._record_one(uow, now, push, claim, outcome)
                    recorded.append(data)
                    changes += changed
            self.rows.apply(uow, changes)
        return recorded

    def record_first(self, uow, now, push: PushState, claim: Claim,
                     outcome: Outcome) -> tuple[dict | None, list[RowChange]]:
        """The outcome of a push made before it was recorded (``push_first``, the intake's), appended
        in the unit of work that records its request (``push``, just saved): as ``record`` would
        append it, this pusher its actor; the attempt's event data and what it does to the row."""
        uow.actor, uow.causation_id = self.instance, None
        return self._record_one(uow, now, push, claim, outcome)

    def _record_one(self, uow, now, push: PushState, claim: Claim,
                    outcome: Outcome) -> tuple[dict | None, list[RowChange]]:
        """One claim's outcome appended to its push (restored from its locked row, or just requested):
        the attempt's event data (None if it was already synced) and what it does to the row."""
        if push.synced:   # only after a lease ran out under a stalled pusher: nothing to add
            return None, []
        if outcome.hgrg_status:
            push.succeeded(outcome.hgrg_status, now)
        else:
            push.attempt_failed(outcome.error or "", now, self.policy, self.rand)
            if self.overdue_after is not None and isinstance(push, SyncState):
                push.report_overdue(now, self.overdue_after, outcome.error or "")
        stored, changed = saved(uow, push, claim.correlation_id)
        for overdue in stored[1:]:   # BackupSyncOverdue, recorded once
            log.warning("hgrg_sync_overdue", correlation_id=claim.correlation_id, backup_number=claim.key,
                        since=overdue.data["since"], attempts=overdue.data["attempts"],
                        threshold_s=overdue.data["threshold_seconds"])
        return stored[0].data, changed

    def process(self, claims: Sequence[Claim]) -> list[dict | None]:
        """Push a batch of claimed rows and record the outcomes; log the batch and each failure."""
        outcomes = self.push(claims)
        try:
            recorded: list[dict | None | Exception] = list(self.record(claims, outcomes))
        except Exception as exc:
            if len(claims) == 1:
                raise
            log.warning("sync_batch_record_failed", items=len(claims), error=repr(exc))
            recorded = [self._record_alone(claim, outcome) for claim, outcome in zip(claims, outcomes, strict=True)]
        log_batch(claims, outcomes, recorded, self.instance)
        return [entry if isinstance(entry, dict) else None for entry in recorded]

    def _record_alone(self, claim: Claim, outcome: Outcome) -> dict | None | Exception:
        try:
            return self.record([claim], [outcome])[0]
        except Exception as exc:   # its lease runs out, then it is due again
            return exc

    def push_due(self, limit: int = 200) -> int:
        """Claim up to ``limit`` due rows and process them as one batch; how many were claimed."""
        claims = self.claim(limit)
        if claims:
            self.process(claims)
        return len(claims)


def log_batch(claims: Sequence[Claim], outcomes: Sequence[Outcome], recorded: Sequence, pusher: str) -> None:
    """One line for what HGRG took; one line per other attempt, under the correlation id of the
    request behind it."""
    took = [(c, o) for c, o, r in zip(claims, outcomes, recorded, strict=True) if o.hgrg_status and isinstance(r, dict)]
    if took:
        log.info("hgrg_push_succeeded", items=len(took), pusher=pusher, duration_ms=took[0][1].duration_ms,
                 received=sum(1 for _, o in took if o.hgrg_status == "received"),
                 backup_numbers=[c.backup_number for c, _ in took if c.queue == NUMBERS.name],
                 change_ids=[c.key for c, _ in took if c.queue != NUMBERS.name])
    for claim, outcome, entry in zip(claims, outcomes, recorded, strict=True):
        if outcome.hgrg_status and isinstance(entry, dict):
            continue
        queue = QUEUES[claim.queue]
        with request_context(claim.correlation_id, push=queue.name,
                             **{"backup_number": claim.backup_number, queue.key: claim.key},
                             attempt=claim.attempt, pusher=pusher):
            if isinstance(entry, Exception):   # outcome not recorded: the lease runs out, then it is due again
                log.error("sync_record_failed", error=repr(entry), hgrg_status=outcome.hgrg_status)
            elif entry is None:
                log.warning("hgrg_push_outcome_dropped", reason="already synced", duration_ms=outcome.duration_ms,
                            hgrg_status=outcome.hgrg_status, error=outcome.error)
            else:
                # A refusal will not go away by itself (secret, clock, payload): an error, not a warning.
                (log.error if outcome.refused else log.warning)(
                    "hgrg_push_failed", error=outcome.error, duration_ms=outcome.duration_ms,
                    next_attempt_at=entry["next_attempt_at"])
