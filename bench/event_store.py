"""(a) Event-store appends per second vs raw single-row INSERT + COMMIT, same database, one client.

Measured twice: on a fresh database, and on a long-lived one (hundreds of thousands of events and
outbox rows already published, and as many rows in the baseline's table). On a used database an
index whose keys arrive in random order dirties a random leaf per insert, and the first touch of a
page after each checkpoint writes that whole page to the WAL: every round starts with a CHECKPOINT
on both sides, as a long-running database meets one every few minutes.
"""
import json
import time
import uuid

from sqlalchemy import create_engine as sa_engine
from sqlalchemy import text

from hgrip_kernel.events import DomainEvent
from hgrip_kernel.ids import time_ordered_id
from hgrip_kernel.store import EventStore, create_engine

from .resources import empty_registry

PAYLOAD = {"name": "三例样本（父母子）的测序数据开放共享备案", "pi_name": "刘晓寒", "cases": 50, "mb_per_case": 2000}
LONG_LIVED_EVENTS = 300_000
RAW_TABLE = "CREATE TABLE IF NOT EXISTS raw_rows (id BIGSERIAL PRIMARY KEY, stream_id TEXT, data JSONB)"


def raw_inserts(url: str, n: int) -> float:
    engine = sa_engine(url)
    raw = engine.raw_connection()  # psycopg2 itself: the floor any store on this database stands on
    cursor = raw.cursor()
    cursor.execute(RAW_TABLE)
    raw.commit()
    body = json.dumps(PAYLOAD, ensure_ascii=False)
    start = time.perf_counter()
    for _ in range(n):
        cursor.execute("INSERT INTO raw_rows (stream_id, data) VALUES (%s, %s)", (str(uuid.uuid4()), body))
        raw.commit()
    elapsed = time.perf_counter() - start
    raw.close()
    engine.dispose()
    return n / elapsed


def store_appends(url: str, n: int) -> float:
    engine = create_engine(url)
    store = EventStore(engine, source="bench", registry=empty_registry())
    start = time.perf_counter()
    for _ in range(n):
        with store.unit_of_work(actor="bench", correlation_id="bench") as uow:
            # A new stream named as the services name theirs (hgrip_kernel.ids.time_ordered_id).
            uow.append("thing", f"thing-{time_ordered_id()}", 0, [DomainEvent("Made", PAYLOAD)])
    elapsed = time.perf_counter() - start
    engine.dispose()
    return n / elapsed


def prefill(url: str, n: int = LONG_LIVED_EVENTS) -> None:
    """A database that has lived: n events with random (version 4) ids as older writers made them,
    their outbox rows published, n rows in the baseline's table; vacuumed and analysed."""
    engine = sa_engine(url)
    with engine.begin() as connection:
        connection.execute(text("""
            INSERT INTO events (event_id, event_type, schema_version, source, stream_type, stream_id,
                                stream_version, occurred_at, actor, correlation_id, causation_id, data)
            SELECT gen_random_uuid()::text, 'Made', 1, 'bench', 'thing', 'thing-' || gen_random_uuid(), 1,
                   now(), 'bench', gen_random_uuid()::text, NULL, CAST(:body AS json)
            FROM generate_series(1, :n)"""), {"n": n, "body": json.dumps(PAYLOAD, ensure_ascii=False)})
        connection.execute(text("INSERT INTO outbox (position, event_id, created_at, published_at) "
                                "SELECT position, event_id, now(), now() FROM events"))
        connection.execute(text(RAW_TABLE))
        connection.execute(text("INSERT INTO raw_rows (stream_id, data) SELECT gen_random_uuid()::text, "
                                "CAST(:body AS jsonb) FROM generate_series(1, :n)"),
                           {"n": n, "body": json.dumps(PAYLOAD, ensure_ascii=False)})
    _autocommit(engine, "VACUUM ANALYZE")
    engine.dispose()


def _autocommit(engine, statement: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(statement))


def compare(url: str, n: int, checkpoint: bool) -> tuple[float, float]:
    """Median raw and store rates of three interleaved rounds (drift on a shared machine hits both alike)."""
    admin = sa_engine(url)
    store_appends(url, 200)  # warm both paths (connections, statement caches)
    raw_inserts(url, 200)
    raw, appends = [], []
    for _ in range(3):
        if checkpoint:
            _autocommit(admin, "CHECKPOINT")
        raw.append(raw_inserts(url, n))
        if checkpoint:
            _autocommit(admin, "CHECKPOINT")
        appends.append(store_appends(url, n))
    admin.dispose()
    return sorted(raw)[1], sorted(appends)[1]


def run(scratch, n: int = 2000) -> list[dict]:
    rows = []
    fresh = scratch.database()
    used = scratch.database()
    prefill(used)
    for label, url, checkpoint in (("fresh database", fresh, False),
                                   (f"long-lived database, {LONG_LIVED_EVENTS:,} events, CHECKPOINT each round",
                                    used, True)):
        raw_rate, store_rate = compare(url, n, checkpoint)
        rows.append({"what": f"(a) event-store appends/s (new stream, 1 event, event + outbox row, commit; {label})",
                     "measured": f"{store_rate:,.0f}/s", "baseline": f"raw INSERT+COMMIT {raw_rate:,.0f}/s",
                     "ratio": store_rate / raw_rate, "target": "≥ 0.50", "met": store_rate / raw_rate >= 0.5})
    return rows
