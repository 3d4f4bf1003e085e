"""The pusher's use case: one push of one thing to HGRG — a backup number or an owner change: claim
it, POST it, record how it went.

Three steps, and no database transaction is open while HGRG is being asked:
1. claim — one short transaction takes due rows of every queue (FOR UPDATE SKIP LOCKED) and leases
   them by moving ``next_attempt_at`` to now + lease, so no other pusher (thread or instance) takes
   them meanwhile;
2. push — the HTTP call, outside any transaction, bounded by the client's time-out (< lease);
3. record — one unit of work appends the attempt's event (failed or synced) and updates the row.
A pusher that dies between 1 and 3 leaves the row leased; when the lease runs out the row is due
again and someone pushes it again — HGRG's idempotence (by backup number, by change id) makes that
harmless.

The queues (``queues.py``) say what differs between the kinds of push; the store, the database behind
the queues (a ``PushRows`` port) and the clock are the service's ``Ports``, HGRG an ``HgrgReceipts``
port: everything here runs on fakes as well. The pusher serves no request (see ``ports.py``).
"""
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from hgrip_kernel.context import bind_request_context, clear_request_context
from hgrip_kernel.logging import get_logger

from ..domain import BackoffPolicy, SyncState
from .ports import HgrgReceipts, HgrgRefused, HgrgUnavailable, Ports
from .queues import NUMBERS, QUEUES
from .writing import save_push

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
    refused: bool = False            # HGRG answered 4xx: needs someone's attention
    duration_ms: float = 0.0


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

    def claim(self, limit: int) -> list[Claim]:
        now = self.clock()
        queues = list(QUEUES)
        self._first = (self._first + 1) % len(queues)
        due = self.rows.claim_due(queues[self._first:] + queues[:self._first], now, now + self.lease, limit)
        return [Claim(row.key, row.payload, row.correlation_id, row.attempts + 1, row.queue) for row in due]

    def push(self, claim: Claim) -> Outcome:
        started = time.monotonic()
        try:
            status = QUEUES[claim.queue].send(self.client, claim.payload, claim.correlation_id)
            outcome = Outcome(hgrg_status=status)
        except HgrgUnavailable as exc:
            outcome = Outcome(error=exc.reason, refused=isinstance(exc, HgrgRefused))
        return Outcome(outcome.hgrg_status, outcome.error, outcome.refused,
                       round((time.monotonic() - started) * 1000, 1))

    def record(self, claim: Claim, outcome: Outcome) -> dict | None:
        """Append the outcome and update the row; None if the push was already recorded synced."""
        queue = QUEUES[claim.queue]
        with self.store.unit_of_work(actor=self.instance, correlation_id=claim.correlation_id) as uow:
            push = queue.restore(self.rows.row(uow, queue.name, claim.key))
            if push.synced:   # only after a lease ran out under a stalled pusher: nothing to add
                return None
            now = self.clock()
            if outcome.hgrg_status:
                push.succeeded(outcome.hgrg_status, now)
            else:
                push.attempt_failed(outcome.error or "", now, self.policy, self.rand)
            event = save_push(self.ports, uow, push)
            if (self.overdue_after is not None and isinstance(push, SyncState)
                    and push.report_overdue(now, self.overdue_after, outcome.error or "")):
                overdue = save_push(self.ports, uow, push)
                log.warning("hgrg_sync_overdue", since=overdue.data["since"], attempts=overdue.data["attempts"],
                            threshold_s=overdue.data["threshold_seconds"])
        return event.data

    def process(self, claim: Claim) -> dict | None:
        """Push one claimed row and record the outcome, logging the attempt under its request's id."""
        queue = QUEUES[claim.queue]
        bind_request_context(claim.correlation_id, push=queue.name,
                             **{"backup_number": claim.backup_number, queue.key: claim.key},
                             attempt=claim.attempt, pusher=self.instance)
        try:
            outcome = self.push(claim)
            recorded = self.record(claim, outcome)
            _log_attempt(outcome, recorded)
            return recorded
        finally:
            clear_request_context()

    def push_due(self, limit: int = 10) -> int:
        """Claim and process up to ``limit`` due rows one after the other; how many were claimed."""
        claims = self.claim(limit)
        for claim in claims:
            self.process(claim)
        return len(claims)


def _log_attempt(outcome: Outcome, recorded: dict | None) -> None:
    if recorded is None:
        log.warning("hgrg_push_outcome_dropped", reason="already synced", duration_ms=outcome.duration_ms,
                    hgrg_status=outcome.hgrg_status, error=outcome.error)
    elif outcome.hgrg_status:
        log.info("hgrg_push_succeeded", hgrg_status=outcome.hgrg_status,
                 duration_ms=outcome.duration_ms, synced_at=recorded["synced_at"])
    else:
        # A refusal will not go away by itself (secret, clock, payload): an error, not a warning.
        (log.error if outcome.refused else log.warning)(
            "hgrg_push_failed", error=outcome.error, duration_ms=outcome.duration_ms,
            next_attempt_at=recorded["next_attempt_at"])
