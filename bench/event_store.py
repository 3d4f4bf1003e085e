"""(a) Event-store appends per second vs raw single-row INSERT + COMMIT, same database, one client."""
import json
import time
import uuid

from sqlalchemy import create_engine as sa_engine

from hgrip_kernel.events import DomainEvent
from hgrip_kernel.store import EventStore, create_engine

from .resources import empty_registry

PAYLOAD = {"name": "三例样本（父母子）的测序数据开放共享备案", "pi_name": "刘晓寒", "cases": 50, "mb_per_case": 2000}


def raw_inserts(url: str, n: int) -> float:
    engine = sa_engine(url)
    raw = engine.raw_connection()  # psycopg2 itself: the floor any store on this database stands on
    cursor = raw.cursor()
    cursor.execute("CREATE TABLE IF NOT EXISTS raw_rows (id BIGSERIAL PRIMARY KEY, stream_id TEXT, data JSONB)")
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
            uow.append("thing", f"thing-{uuid.uuid4()}", 0, [DomainEvent("Made", PAYLOAD)])
    elapsed = time.perf_counter() - start
    engine.dispose()
    return n / elapsed


def run(scratch, n: int = 2000) -> list[dict]:
    url = scratch.database()
    store_appends(url, 200)  # warm both paths (connections, statement caches)
    raw_inserts(url, 200)
    raw, appends = [], []
    for _ in range(3):  # interleaved rounds: drift on a shared machine hits both sides alike
        raw.append(raw_inserts(url, n))
        appends.append(store_appends(url, n))
    raw_rate, store_rate = sorted(raw)[1], sorted(appends)[1]
    return [{"what": "(a) event-store appends/s (new stream, 1 event, event + outbox row, commit)",
             "measured": f"{store_rate:,.0f}/s", "baseline": f"raw INSERT+COMMIT {raw_rate:,.0f}/s",
             "ratio": store_rate / raw_rate, "target": "≥ 0.50", "met": store_rate / raw_rate >= 0.5}]
