"""The pusher's three steps (claim, push, record) on a real database and the real HGRG stand-in,
for both queues: backup numbers and owner changes."""
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from hgrip_kernel.store import EventStore, create_engine
from hgrip_kernel.store.tables import events
from hgrip_registry_sync.adapters import read_models
from hgrip_registry_sync.adapters.hgrg_client import HgrgClient
from hgrip_registry_sync.adapters.read_models import sql_pusher
from hgrip_registry_sync.app.pushing import Claim, Outcome
from hgrip_registry_sync.domain import OwnerChange, SyncState, owner_change_body

SECRET = "registry-sync-test-hgrg-secret"
T0 = datetime(2026, 1, 15, 2, 30, tzinfo=UTC)


class Clock:
    """The pusher's notion of now, moved by the test (leases and backoff are about time)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["postgresql", "sqlite"])
def store(request, migrated_database):
    engine = create_engine(migrated_database("registry-sync", request.param))
    yield EventStore(engine, source="registry-sync")
    engine.dispose()


def request_sync(store, payload, at=T0, correlation_id="req-submit"):
    """What on_backup_submitted records: SyncRequested and its pending row."""
    with store.unit_of_work(correlation_id=correlation_id) as uow:
        sync = SyncState.request(payload["backup_number"], payload["backup_id"], payload,
                                 str(uuid.uuid4()), at)
        [event] = uow.save(sync)
        read_models.apply(uow.connection, event)


def request_owner_change(store, data, event_type="BackupDelegated", at=T0, correlation_id="req-delegate"):
    """What on_backup_delegated / on_backup_claimed record: OwnerChangeRequested and its pending row."""
    body = owner_change_body(event_type, str(uuid.uuid4()), data)
    with store.unit_of_work(correlation_id=correlation_id) as uow:
        [event] = uow.save(OwnerChange.request(body, at))
        read_models.apply(uow.connection, event)
    return body


def row(store, number):
    with store.engine.connect() as connection:
        return read_models.get(connection, number)


def owner_row(store, change_id):
    with store.engine.connect() as connection:
        return read_models.get(connection, change_id, table=read_models.owner_changes)


def make_pusher(store, hgrg, clock, **options):
    client = HgrgClient(hgrg.base_url, SECRET, timeout=2)
    return sql_pusher(store, client, lease_seconds=10, clock=clock, rand=lambda: 0.0, instance="pusher-a",
                  **options)


def test_claim_takes_due_rows_in_order_and_leases_them(store, hgrg, backup_payload):
    clock = Clock(T0)
    pusher = make_pusher(store, hgrg, clock)
    first, second, later = backup_payload(), backup_payload(), backup_payload()
    request_sync(store, second, at=T0 - timedelta(seconds=1))
    request_sync(store, first, at=T0 - timedelta(seconds=2))
    request_sync(store, later, at=T0 + timedelta(seconds=5))   # not due yet

    claims = pusher.claim(limit=10)
    assert [c.backup_number for c in claims] == [first["backup_number"], second["backup_number"]]
    assert claims[0] == Claim(first["backup_number"], first, "req-submit", 1)
    assert row(store, first["backup_number"])["next_attempt_at"] == T0 + timedelta(seconds=10)
    # Leased: nobody takes them again until the lease runs out — then they are due again.
    assert pusher.claim(limit=10) == []
    clock.now = T0 + timedelta(seconds=6)
    assert [c.backup_number for c in pusher.claim(limit=10)] == [later["backup_number"]]
    clock.now = T0 + timedelta(seconds=10)
    assert {c.backup_number for c in pusher.claim(limit=1)} <= {first["backup_number"], second["backup_number"]}


def test_a_failed_push_is_recorded_then_retried_after_the_backoff(store, hgrg, backup_payload):
    clock = Clock(T0)
    pusher = make_pusher(store, hgrg, clock)
    payload = backup_payload()
    number = payload["backup_number"]
    request_sync(store, payload, correlation_id="req-outage")
    hgrg.control("down")

    assert pusher.push_due() == 1
    state = row(store, number)
    assert (state["state"], state["attempts"], state["version"]) == ("failing", 1, 2)
    assert state["last_error"] == "HTTP 503 unavailable: HGRG stand-in is down (control mode)"
    assert state["next_attempt_at"] == T0 + timedelta(seconds=0.5)
    assert pusher.push_due() == 0               # not due before the backoff has passed
    clock.now = T0 + timedelta(seconds=0.5)
    assert pusher.push_due() == 1
    assert row(store, number)["attempts"] == 2
    assert row(store, number)["next_attempt_at"] == clock.now + timedelta(seconds=1)

    hgrg.control("ok")
    clock.now += timedelta(seconds=1)
    assert pusher.push_due() == 1
    state = row(store, number)
    assert (state["state"], state["attempts"], state["last_error"], state["next_attempt_at"]) == \
        ("synced", 3, None, None)
    assert state["synced_at"] == clock.now
    assert pusher.push_due() == 0               # synced rows are never claimed again
    [receipt] = hgrg.received()
    assert (receipt["payload"], receipt["request_id"]) == (payload, "req-outage")

    stream = store.read_stream(f"sync-{number}")
    assert [(e.event_type, e.actor, e.correlation_id) for e in stream] == [
        ("SyncRequested", None, "req-outage"), ("SyncAttemptFailed", "pusher-a", "req-outage"),
        ("SyncAttemptFailed", "pusher-a", "req-outage"), ("BackupSynced", "pusher-a", "req-outage")]
    assert stream[-1].data == {"backup_number": number, "attempt": 3,
                               "synced_at": clock.now.isoformat(), "hgrg_status": "received"}
    assert hgrg.batch_statuses() == [503, 503, 200]


def test_a_late_outcome_for_a_synced_number_is_dropped(store, hgrg, backup_payload):
    clock = Clock(T0)
    pusher = make_pusher(store, hgrg, clock)
    payload = backup_payload()
    request_sync(store, payload)
    claims = pusher.claim(limit=1)
    assert pusher.record(claims, [Outcome(hgrg_status="received")])[0]["attempt"] == 1
    # A stalled pusher whose lease ran out reports afterwards: nothing more is recorded.
    assert pusher.record(claims, [Outcome(error="no answer within 2 s")]) == [None]
    assert row(store, payload["backup_number"])["state"] == "synced"
    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(events)).scalar() == 2


def test_an_owner_change_is_claimed_pushed_retried_and_synced_like_a_number(
        store, hgrg, backup_payload, owner_events):
    clock = Clock(T0)
    pusher = make_pusher(store, hgrg, clock)
    payload = backup_payload()
    number = payload["backup_number"]
    body = request_owner_change(store, owner_events.delegated(payload["backup_id"], number, 2, "liuhaoran"))
    change_id = body["change_id"]
    hgrg.control("down")

    [claim] = pusher.claim(limit=10)
    assert claim == Claim(change_id, body, "req-delegate", 1, "owner_change")
    assert claim.backup_number == number
    assert owner_row(store, change_id)["next_attempt_at"] == T0 + timedelta(seconds=10)   # leased
    pusher.process([claim])
    state = owner_row(store, change_id)
    assert (state["state"], state["attempts"], state["version"]) == ("failing", 1, 2)
    assert state["last_error"] == "HTTP 503 unavailable: HGRG stand-in is down (control mode)"
    assert state["next_attempt_at"] == T0 + timedelta(seconds=0.5)
    assert pusher.push_due() == 0               # not due before the backoff has passed

    hgrg.control("ok")
    clock.now = T0 + timedelta(seconds=0.5)
    assert pusher.push_due() == 1
    state = owner_row(store, change_id)
    assert (state["state"], state["attempts"], state["last_error"], state["next_attempt_at"], state["synced_at"]) \
        == ("synced", 2, None, None, clock.now)
    assert pusher.push_due() == 0
    [received] = hgrg.owner_changes()
    assert (received["change_id"], received["payload"], received["request_id"]) == (change_id, body, "req-delegate")
    assert hgrg.owner(number)["owner_username"] == "liuhaoran"
    assert hgrg.received() == []                # an owner change is not a backup-number receipt
    stream = store.read_stream(f"owner-{change_id}")
    assert [(e.event_type, e.actor, e.correlation_id) for e in stream] == [
        ("OwnerChangeRequested", None, "req-delegate"), ("OwnerChangeAttemptFailed", "pusher-a", "req-delegate"),
        ("OwnerChangeSynced", "pusher-a", "req-delegate")]
    assert stream[-1].data == {"change_id": change_id, "backup_number": number, "attempt": 2,
                               "synced_at": clock.now.isoformat(), "hgrg_status": "received"}
    # A stalled pusher's late outcome for a synced change is dropped, as for numbers.
    assert pusher.record([claim], [Outcome(error="no answer within 2 s")]) == [None]


def test_the_queues_take_turns_so_neither_starves_the_other(store, hgrg, backup_payload, owner_events):
    pusher = make_pusher(store, hgrg, Clock(T0))
    numbers = [backup_payload() for _ in range(3)]
    for payload in numbers:
        request_sync(store, payload, at=T0 - timedelta(seconds=1))
    changes = [request_owner_change(store, owner_events.claimed(str(uuid.uuid4()), f"BF2019031200{n}", 2),
                                    event_type="BackupClaimed", at=T0 - timedelta(seconds=1)) for n in range(3)]
    taken = [pusher.claim(limit=1)[0] for _ in range(4)]
    assert sorted(c.queue for c in taken) == ["number", "number", "owner_change", "owner_change"]
    # With room for all, one pass takes every due row left, of both queues.
    rest = pusher.claim(limit=10)
    assert sorted(c.key for c in taken + rest) == sorted(
        [p["backup_number"] for p in numbers] + [c["change_id"] for c in changes])
    assert sorted(c.queue for c in rest) == ["number", "owner_change"]


CLAIMER = """
import json, sys, time
from datetime import datetime, timezone
from hgrip_kernel.store import EventStore, create_engine
from hgrip_registry_sync.adapters.read_models import sql_pusher
url, start_at = sys.argv[1], float(sys.argv[2])
store = EventStore(create_engine(url), source="registry-sync")
pusher = sql_pusher(store, client=None, lease_seconds=60,
                    clock=lambda: datetime(2026, 1, 15, 2, 30, tzinfo=timezone.utc))
while time.time() < start_at:
    time.sleep(0.001)
claimed = []
while batch := pusher.claim(limit=2):
    claimed += [claim.backup_number for claim in batch]
print(json.dumps(claimed))
"""


def test_concurrent_claimers_in_separate_processes_never_take_the_same_row(store, backup_payload):
    """Six processes claim 60 due rows at the same instant: each row is claimed exactly once."""
    numbers = []
    for _ in range(60):
        payload = backup_payload()
        request_sync(store, payload, at=T0 - timedelta(seconds=1))
        numbers.append(payload["backup_number"])
    url = store.engine.url.render_as_string(hide_password=False)
    start_at = time.time() + 3   # after every interpreter has started
    processes = [subprocess.Popen([sys.executable, "-c", CLAIMER, url, str(start_at)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
    claimed = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
        claimed.append(json.loads(out))
    assert sorted(sum(claimed, [])) == sorted(numbers)
    if store.engine.dialect.name == "postgresql":   # SQLite hands its one write lock round unevenly
        assert sum(1 for batch in claimed if batch) >= 2   # they really did claim side by side


def test_skip_locked_lets_a_second_claimer_pass_a_claim_in_progress(make_database, backup_payload):
    """PostgreSQL: while one transaction holds due rows, another takes the next ones, unblocked."""
    url = make_database("registry-sync")
    engine = create_engine(url)
    store = EventStore(engine, source="registry-sync")
    numbers = []
    for _ in range(3):
        payload = backup_payload()
        request_sync(store, payload, at=T0 - timedelta(seconds=1))
        numbers.append(payload["backup_number"])
    try:
        with engine.connect() as first, engine.connect() as second, first.begin():
            held = read_models.claim_due(first, T0, T0 + timedelta(seconds=10), limit=2)
            with second.begin():
                second.exec_driver_sql("SET LOCAL lock_timeout = '2s'")   # would fail if it waited
                other = read_models.claim_due(second, T0, T0 + timedelta(seconds=10), limit=2)
        assert [r.key for r in held] == numbers[:2]
        assert [r.key for r in other] == numbers[2:]
    finally:
        engine.dispose()


def test_a_batch_is_recorded_in_one_unit_of_work_each_push_under_its_own_request(store, hgrg, backup_payload,
                                                                                  owner_events):
    clock = Clock(T0)
    pusher = make_pusher(store, hgrg, clock)
    payloads = [backup_payload() for _ in range(3)]
    for index, payload in enumerate(payloads):
        request_sync(store, payload, correlation_id=f"req-submit-{index}")
    body = request_owner_change(store, owner_events.delegated(payloads[0]["backup_id"],
                                                              payloads[0]["backup_number"], 2))
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *_: statements.append(statement)  # noqa: E731
    event.listen(store.engine, "before_cursor_execute", listener)
    try:
        assert pusher.push_due() == 4
    finally:
        event.remove(store.engine, "before_cursor_execute", listener)
    assert hgrg.batch_sizes() == [4] and hgrg.batch_statuses() == [200]   # one request for them all
    # The four outcomes' events were written by one INSERT, not one each.
    assert len([s for s in statements if s.startswith("INSERT INTO events")]) == 1
    for index, payload in enumerate(payloads):
        assert [(e.event_type, e.correlation_id) for e in store.read_stream(f"sync-{payload['backup_number']}")] \
            == [("SyncRequested", f"req-submit-{index}"), ("BackupSynced", f"req-submit-{index}")]
        assert row(store, payload["backup_number"])["state"] == "synced"
    assert owner_row(store, body["change_id"])["state"] == "synced"
    assert [(r["backup_number"], r["request_id"]) for r in hgrg.received()] == [
        (p["backup_number"], f"req-submit-{i}") for i, p in enumerate(payloads)]
    # Sent again (a pusher that died before recording), the batch is all duplicates at HGRG.
    claims = [Claim(p["backup_number"], p, f"req-submit-{i}", 1) for i, p in enumerate(payloads)]
    assert [o.hgrg_status for o in pusher.push(claims)] == ["duplicate"] * 3
    assert len(hgrg.received()) == 3


def test_a_row_that_cannot_be_recorded_does_not_keep_the_others_unrecorded(store, hgrg, backup_payload):
    pusher = make_pusher(store, hgrg, Clock(T0))
    payloads = [backup_payload() for _ in range(2)]
    for payload in payloads:
        request_sync(store, payload)
    claims = pusher.claim(limit=10)
    ghost = Claim("BF2026011599998", {**payloads[0], "backup_number": "BF2026011599998"}, "req-ghost", 1)
    recorded = pusher.process([*claims, ghost])   # no row for the ghost: the batch's unit of work fails
    assert [r and r["hgrg_status"] for r in recorded] == ["received", "received", None]
    assert {row(store, p["backup_number"])["state"] for p in payloads} == {"synced"}
