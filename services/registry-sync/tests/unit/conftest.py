"""Fixtures of the registry-sync unit tests: in-memory fakes of every port, nothing started.

``sync`` holds an ``InMemoryEventStore``, fake push queues (``FakePushRows``, folded by the same
``row_change`` as the database's), a fake HGRG and a clock the test moves; ``sync.pusher()`` is the
real ``Pusher`` over them.
"""
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from hgrip_kernel.envelope import Envelope
from hgrip_kernel.events import DomainEvent
from hgrip_kernel.testing.fakes import FakeLog, FakeRequest
from hgrip_kernel.testing.memory_store import InMemoryEventStore
from hgrip_registry_sync.app.ports import DueRow, HgrgRefused, HgrgUnavailable, ItemReceipt, Ports
from hgrip_registry_sync.app.pushing import Pusher
from hgrip_registry_sync.domain import OPEN_STATES

T0 = datetime(2026, 1, 15, 2, 30, tzinfo=UTC)


class FakePushRows:
    """The two push queues as dicts of rows, keyed by queue name then row key."""

    def __init__(self):
        self.tables: dict[str, dict[str, dict]] = {"number": {}, "owner_change": {}}
        self.known_asked: list[list[str]] = []   # every numbers_known look, its numbers
        self.committed_asked: list[list[str]] = []   # every numbers_committed look (outside a unit of work)
        self.applied: list[int] = []             # every apply, its number of changes

    def claim_due(self, queues, now, lease_until, limit):
        claimed = []
        for queue in queues:
            due = sorted((row["next_attempt_at"], key) for key, row in self.tables[queue].items()
                         if row["state"] in OPEN_STATES and row["next_attempt_at"] <= now)
            for _, key in due[:limit - len(claimed)]:
                row = self.tables[queue][key]
                row["next_attempt_at"] = lease_until
                claimed.append(DueRow(queue, key, row["payload"], row["correlation_id"], row["attempts"]))
        return claimed

    def rows(self, uow, queue, keys):
        return {key: dict(self.tables[queue][key]) for key in keys}

    def apply(self, uow, changes):
        self.applied.append(len(changes))
        for change in changes:
            if change.new:
                self.tables[change.queue][change.key] = {"last_error": None, "synced_at": None, **change.values}
            else:
                self.tables[change.queue][change.key].update(change.values)

    def numbers_known(self, uow, backup_numbers):
        self.known_asked.append(list(backup_numbers))
        return {number for number in backup_numbers if number in self.tables["number"]}

    def numbers_committed(self, backup_numbers):
        self.committed_asked.append(list(backup_numbers))
        return {number for number in backup_numbers if number in self.tables["number"]}

    def sync_state(self, backup_number):
        return self.tables["number"].get(backup_number)

    def owner_changes_of(self, backup_number):
        rows = [row for row in self.tables["owner_change"].values() if row["backup_number"] == backup_number]
        return sorted(rows, key=lambda row: (row["sequence"], row["change_id"]))

    def summary(self):
        return _fake_summary(self.tables)


def _fake_summary(tables):
    counts, oldest, last = {}, {}, {}
    for queue, rows in tables.items():
        for row in rows.values():
            counts[(queue, row["state"])] = counts.get((queue, row["state"]), 0) + 1
        opened = [row.get("requested_at") or row["updated_at"] for row in rows.values() if row["state"] in OPEN_STATES]
        synced = [row["synced_at"] for row in rows.values() if row.get("synced_at")]
        oldest[queue], last[queue] = min(opened, default=None), max(synced, default=None)
    return {"counts": counts, "oldest_open_at": oldest, "last_synced_at": last}


class FakeHgrg:
    """HGRG's batch receipts: ``mode`` "ok" (received, then duplicate), "down" (503) or "refusing"
    (401); a key in ``refuse`` is refused alone, the rest of its batch taken."""

    def __init__(self):
        self.mode = "ok"
        self.received: list[tuple[str, dict, str | None]] = []   # (kind, body, request id)
        self.batches: list[int] = []                             # the size of every batch taken
        self.refuse: set[str] = set()
        self._seen: set[str] = set()

    def push_batch(self, items):
        if self.mode == "down":
            raise HgrgUnavailable("HTTP 503 unavailable: HGRG is down", 503)
        if self.mode == "refusing":
            raise HgrgRefused("refused: HTTP 401 bad_signature", 401)
        self.batches.append(len(items))
        return [self._take(item) for item in items]

    def _take(self, item):
        key = item.body["change_id"] if item.kind == "owner_change" else item.body["backup_number"]
        if key in self.refuse:
            return ItemReceipt(refusal="refused: invalid_item: not this one")
        self.received.append((item.kind, item.body, item.request_id))
        if key in self._seen:
            return ItemReceipt(status="duplicate")
        self._seen.add(key)
        return ItemReceipt(status="received")

    def push_backup(self, payload, request_id=None):   # (an earlier push, outside the pusher)
        from hgrip_registry_sync.app.ports import BatchItem
        return self._take(BatchItem("backup", payload, request_id)).status


class LocalPusher:
    """This process's pusher as the intake sees it (the ``Handover`` port, ``pusher_provider.py``):
    it keeps what it is handed; with ``pusher`` (a real ``Pusher``) it also pushes a batch first while
    HGRG answers, as the provider does, else it pushes nothing first."""
    lease = timedelta(seconds=15)

    def __init__(self, pusher: Pusher | None = None):
        self.pusher = pusher
        self.instance = pusher.instance if pusher else "pusher-local"
        self.handed: list[DueRow] = []
        self.pushed_first: list[list[str]] = []   # the keys of every batch pushed first

    def hand_over(self, row):
        self.handed.append(row)

    @property
    def pushing_first(self):
        return self.pusher is not None and self.pusher.answering

    def push_first(self, claims):
        if not self.pushing_first:
            return None
        self.pushed_first.append([claim.key for claim in claims])
        return self.pusher.push_first(claims)

    def record_first(self, uow, now, push, claim, outcome):
        assert self.pusher is not None
        return self.pusher.record_first(uow, now, push, claim, outcome)


@dataclass
class Sync:
    store: InMemoryEventStore = field(default_factory=lambda: InMemoryEventStore("registry-sync"))
    rows: FakePushRows = field(default_factory=FakePushRows)
    hgrg: FakeHgrg = field(default_factory=FakeHgrg)
    log: FakeLog = field(default_factory=FakeLog)
    now: datetime = T0

    def clock(self) -> datetime:
        return self.now

    def wait(self, **delta) -> None:
        self.now += timedelta(**delta)

    @property
    def ports(self) -> Ports:
        return Ports(store=self.store, rows=self.rows, clock=self.clock)

    def request(self, correlation_id: str = "req") -> FakeRequest:
        """The request a use case serves (its log is ``log``)."""
        return FakeRequest(correlation_id=correlation_id, causation_id=None, log=self.log)

    def pusher(self, **options) -> Pusher:
        return Pusher(self.ports, self.hgrg, lease_seconds=10, rand=lambda: 0.0, instance="pusher-a", **options)

    def local_pusher(self, pushing: bool = False) -> LocalPusher:
        """The intake's ``Handover``: with ``pushing``, it pushes first through ``pusher()``."""
        return LocalPusher(self.pusher() if pushing else None)

    def stream(self, stream_id: str) -> list[tuple[str, dict]]:
        return [(e.event_type, e.data) for e in self.store.read_stream(stream_id)]


@pytest.fixture
def sync():
    return Sync()


@pytest.fixture
def delivered():
    """``delivered(event_type, data, actor=None) -> Envelope``: a ``backups`` event as a consumer gets it."""
    def make(event_type: str, data: dict, actor: str | None = None) -> Envelope:
        store = InMemoryEventStore("backups")
        with store.unit_of_work(actor=actor, correlation_id="req-backups") as uow:
            [envelope] = uow.append("backup", f"backup-{data['backup_id']}", 0, [DomainEvent(event_type, data)])
        return envelope
    return make


@pytest.fixture
def new_id():
    return lambda: str(uuid.uuid4())
