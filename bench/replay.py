"""(g) Read-model rebuild: events replayed per second by ``hgrip rebuild backups`` (the read model
``backups``: backups, data_files, filings) over 100 000 events of the backups service, against the
floor of reading the same events: streaming them with the same server-side cursor and nothing else.

The events are written straight into a migrated backups database (executemany, as a long-lived
service would have left them): per backup BackupCreated, three DataFileAdded, a DataFileVerified, a
BackupSubmitted and, for every third, a FilingLinked (about 6.3 events per backup).
"""
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from hgrip_kernel.ids import time_ordered_id
from hgrip_kernel.store import create_engine
from hgrip_kernel.store.replay import EVENT_COLUMNS, FETCH_BATCH, rebuild
from hgrip_kernel.store.tables import events

EVENTS = 100_000
TARGET = 20_000   # events replayed per second (issue 13)


def _backup_events(n: int, start: datetime):
    """(stream_id, [(event_type, data)]) of ``n`` backups."""
    for i in range(n):
        backup_id = str(uuid.uuid4())
        at = start + timedelta(seconds=i)
        iso = at.isoformat()
        stream = [("BackupCreated", {
            "backup_id": backup_id, "project_id": str(uuid.uuid4()), "project_name": f"项目 {i}",
            "owner_id": str(uuid.uuid4()), "name": f"三例样本（父母子）的测序数据开放共享备份 {i}",
            "pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "institution_code": "NGDC",
            "unit_code": "BIG-BIO", "created_at": iso, "categories": ["targeted"]})]
        file_ids = [str(uuid.uuid4()) for _ in range(3)]
        for k, file_id in enumerate(file_ids):
            stream.append(("DataFileAdded", {
                "backup_id": backup_id, "file_id": file_id, "detailed_type": "raw_sequencing",
                "repository": "GSA-Human", "cases": 50 + k, "mb_per_case": 2000.0,
                "submission_account": "data-admin@big.ac.cn", "accession": f"HRA{i:06d}{k}",
                "progress": "awaiting_code" if k == 2 else "complete", "at": iso}))
        stream.append(("DataFileVerified", {"backup_id": backup_id, "file_id": file_ids[2], "verified_at": iso}))
        stream.append(("BackupSubmitted", {"backup_id": backup_id, "backup_number": f"BF2026{i:09d}",
                                           "submitted_at": iso}))
        if i % 3 == 0:
            stream.append(("FilingLinked", {"backup_id": backup_id, "filing_number": f"F{i:08d}",
                                            "declared_mb": 1000.0, "recipient": "Example Ltd.", "filed_at": iso}))
        yield f"backup-{backup_id}", stream


def load(url: str, n_events: int = EVENTS) -> int:
    """Write about ``n_events`` backup events into the database at ``url``; answer how many."""
    engine = create_engine(url)
    start = datetime(2026, 1, 5, tzinfo=UTC)
    written, batch = 0, []
    with engine.begin() as connection:
        for stream_id, stream in _backup_events(n_events // 6 + 1, start):
            for version, (event_type, data) in enumerate(stream, start=1):
                batch.append({"event_id": time_ordered_id(), "event_type": event_type, "schema_version": 1,
                              "source": "backups", "stream_type": "backup", "stream_id": stream_id,
                              "stream_version": version, "occurred_at": start, "actor": "bench",
                              "correlation_id": "bench", "causation_id": None, "data": data})
            if len(batch) >= 5000:
                connection.execute(insert(events), batch)
                written, batch = written + len(batch), []
            if written >= n_events:
                break
        if batch:
            connection.execute(insert(events), batch)
            written += len(batch)
        connection.exec_driver_sql("ANALYZE events")
    engine.dispose()
    return written


def read_only(url: str) -> float:
    """Events per second of the floor: the same query and cursor as the rebuild, rows only counted."""
    engine = create_engine(url)
    query = (select(*EVENT_COLUMNS).where(events.c.stream_type == "backup")
             .order_by(events.c.stream_id, events.c.stream_version))
    with engine.connect() as connection:
        started = time.perf_counter()
        count = sum(1 for _ in connection.execute(query, execution_options={"yield_per": FETCH_BATCH}))
        elapsed = time.perf_counter() - started
    engine.dispose()
    return count / elapsed


def replayed(url: str, empty_first: bool = False) -> tuple[float, dict]:
    """Events per second of ``hgrip rebuild backups --read-model backups`` (the whole transaction);
    ``empty_first``: its tables emptied before (every row written, as for a new read model)."""
    from hgrip_backups.adapters.projection import PROJECTIONS

    engine = create_engine(url)
    model = PROJECTIONS.named(["backups"])
    if empty_first:   # as a new read model's tables are: empty, no dead rows (outside the timed transaction)
        with engine.begin() as connection:
            connection.exec_driver_sql("TRUNCATE " + ", ".join(table.name for table in model[0].tables))
    report = rebuild(engine, model)
    engine.dispose()
    return report.events_per_second, report.rows


def run(scratch, n_events: int = EVENTS) -> list[dict]:
    url = scratch.database("backups")
    count = load(url, n_events)
    replayed(url)                      # warm: the first fill
    floor = sorted(read_only(url) for _ in range(3))[1]
    kept = sorted(replayed(url)[0] for _ in range(3))[1]
    filled = sorted(replayed(url, empty_first=True)[0] for _ in range(3))[1]
    what = f"(g) read-model rebuild: events replayed/s (`hgrip rebuild backups`, {count:,} events, "
    baseline = f"streaming the same events only {floor:,.0f}/s"
    return [{"what": what + "rows already right: fold, compare, nothing written)",
             "measured": f"{kept:,.0f}/s", "baseline": baseline, "ratio": kept / floor,
             "target": f"≥ {TARGET:,}/s", "met": kept >= TARGET},
            {"what": what + "tables empty: fold and insert every row)",
             "measured": f"{filled:,.0f}/s", "baseline": baseline, "ratio": filled / floor,
             "target": f"≥ {TARGET:,}/s", "met": filled >= TARGET}]
