"""What the registry-sync use cases need from the world, as typed protocols: HGRG's receipts and the push
queues (the read models the pusher claims its work from); the event store, its unit of work and the
request are the kernel's (``hgrip_kernel.ports``). The adapters implement them; unit tests pass
in-memory fakes.

A use case takes ``(ports, request, ...)`` like every service's. The one exception is the pusher
(``pushing.Pusher``): it serves no request — it runs in its own loop beside the workers, binds each
push's original request id to its log itself — and it alone talks to HGRG, so it is given
``Ports`` and the ``HgrgReceipts`` client, and no request.
"""
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from hgrip_kernel.ports import EventStore, UnitOfWork

if TYPE_CHECKING:   # (pushing.py imports this module)
    from .pushing import Claim, Outcome


# --- HGRG ----------------------------------------------------------------------------------------------
class HgrgUnavailable(Exception):
    """No usable answer: connection refused, time-out, 5xx, or anything unexpected."""

    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class HgrgRefused(HgrgUnavailable):
    """HGRG answered 4xx (bad signature, invalid body): it will go on refusing until someone fixes
    the secret, the clock or the payload. Still an ``HgrgUnavailable`` — the sync retries with
    backoff and never drops the number — but a distinct type, so that it is logged as an error."""


@dataclass(frozen=True)
class BatchItem:
    """One thing in a batch pushed to HGRG (docs/protocols/hgrg.md §6)."""
    kind: str                  # "backup" | "owner_change"
    body: dict                 # sent as is
    request_id: str | None     # the correlation id of the request behind it; HGRG keeps it


@dataclass(frozen=True)
class ItemReceipt:
    """HGRG's word on one item of a verified batch receipt: it has it, or it refused this item."""
    status: str | None = None   # "received" | "duplicate"; None when refused
    refusal: str | None = None  # why HGRG refused this item (it goes on refusing until someone fixes it)


class HgrgReceipts(Protocol):
    """HGRG's receipts (docs/protocols/hgrg.md §3, §5, §6), idempotent by backup number and by change id."""

    def push_batch(self, items: Sequence[BatchItem]) -> list[ItemReceipt]:
        """One receipt per item, in order, from HGRG's signed batch receipt; raise HgrgUnavailable
        when there is no verified receipt (then nothing is taken as accepted)."""


# --- the push queues -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DueRow:
    """A row of a push queue taken for a push (its lease already moved)."""
    queue: str             # "number" | "owner_change"
    key: str               # the backup number, or the owner change's id
    payload: dict
    correlation_id: str
    attempts: int          # attempts recorded so far


@dataclass(frozen=True)
class RowChange:
    """What one stored event does to its queue's row: insert it (``new``) or update these values."""
    queue: str
    key: str
    values: dict
    new: bool = False


class PushRows(Protocol):
    """The push queues ``sync_states`` (queue "number") and ``owner_changes`` (queue "owner_change"):
    one row per thing to push, written in the unit of work of its events."""

    def claim_due(self, queues: Sequence[str], now: datetime, lease_until: datetime, limit: int) -> list[DueRow]:
        """Up to ``limit`` due rows, from the queues in the order given, leased until ``lease_until``
        in one transaction so that no other pusher takes them meanwhile."""

    def rows(self, uow: UnitOfWork, queue: str, keys: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        """The rows of these pushes by key (one statement), locked until the unit of work ends."""

    def apply(self, uow: UnitOfWork, changes: Sequence[RowChange]) -> None:
        """Insert or update rows as ``changes`` say (alike changes in one statement)."""

    def numbers_known(self, uow: UnitOfWork, backup_numbers: Sequence[str]) -> set[str]:
        """Which of these backup numbers a sync was already requested of (one statement)."""

    def numbers_committed(self, backup_numbers: Sequence[str]) -> set[str]:
        """``numbers_known`` outside any unit of work: of the requests committed now (one statement)."""

    def sync_state(self, backup_number: str) -> Mapping[str, Any] | None:
        """The ``sync_states`` row of a backup number, if any."""

    def owner_changes_of(self, backup_number: str) -> Sequence[Mapping[str, Any]]:
        """Every ``owner_changes`` row of a backup number, oldest (lowest sequence) first."""

    def summary(self) -> Mapping[str, Any]:
        """Both queues at a glance: ``{counts: {(queue, state): n}, oldest_open_at: {queue: time|None},
        last_synced_at: {queue: time|None}}`` (a number's open time is when it was requested)."""


class Handover(Protocol):
    """This process's pusher. While HGRG answers, the intake has it push a batch of new numbers first
    and records each push's outcome with its request, in one unit of work (``push_first``,
    ``record_first``). Otherwise a row it is handed was leased to it in the unit of work that wrote
    the row, so it pushes it at once, without a claim. Should the process die first, the lease runs
    out and any pusher claims the row."""
    lease: timedelta
    instance: str   # the pusher's name: its events' actor, in its log lines

    @property
    def pushing_first(self) -> bool:
        """Whether ``push_first`` would push now: HGRG answered the last push, the pusher runs."""

    def hand_over(self, row: DueRow) -> None:
        """Push this committed, leased row soon."""

    def push_first(self, claims: Sequence["Claim"]) -> Sequence["Outcome"] | None:
        """Push these, not yet recorded, now (in one of the pusher's batch slots); an outcome per
        claim, or None — nothing pushed — while HGRG did not answer the last push or the pusher stops."""

    def record_first(self, uow: UnitOfWork, now: datetime, push: Any, claim: "Claim",
                     outcome: "Outcome") -> tuple[dict | None, list[RowChange]]:
        """A ``push_first`` outcome appended to ``push`` in the unit of work recording its request
        (``pushing.Pusher.record_first``)."""


# --- what a use case is given ------------------------------------------------------------------------
@dataclass(frozen=True)
class Ports:
    """The service's store, push queues and clock, wired by the entrypoint (in-memory fakes in unit tests)."""
    store: EventStore
    rows: PushRows
    clock: Callable[[], datetime]   # the service's "now" (tests move it)

