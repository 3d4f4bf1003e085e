"""The backups read models written by the live writer (Backup aggregate saved + write_backup, legacy
import + claim) equal their rebuild on PostgreSQL and on SQLite; a corrupted, a missing and a stray
row are repaired; rows the events do not give are left alone."""
import json
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update

from hgrip_backups.adapters.legacy_store import claimed_values, insert_imported, mark_claimed
from hgrip_backups.adapters.projection import PROJECTIONS
from hgrip_backups.adapters.read_models import write_backup
from hgrip_backups.adapters.tables import backup_number_counters, backups, data_files, filings, legacy_backups
from hgrip_backups.domain.backup import Backup
from hgrip_backups.domain.data_file import FileDetails
from hgrip_backups.domain.legacy import NewOwner, Registrant
from hgrip_kernel.store import EventStore, create_engine
from hgrip_kernel.store.replay import rebuild

TABLES = (backups, data_files, filings, legacy_backups)
PROJECT = {"id": str(uuid.uuid4()), "name": "三例样本", "owner_id": str(uuid.uuid4()), "pi_name": "刘晓寒",
           "pi_email": "data-admin@big.ac.cn", "institution": {"code": "NGDC"}, "unit": {"code": "BIO"}}


def _details(accession: str, account: str = "data-admin@big.ac.cn") -> FileDetails:
    return FileDetails("raw_sequencing", 50, 2000.0, account, accession)


def _confirmed(accession: str, account: str = "data-admin@big.ac.cn"):
    return {("GSA-Human", accession, account)}


def _save(store: EventStore, backup: Backup) -> None:
    """As app/writing.save_backup: the events and the rows in one transaction."""
    with store.unit_of_work(actor="t") as uow:
        changed = [event.type for event in backup.pending]
        uow.save(backup)
        write_backup(uow.connection, backup, changed)


def _workload(store: EventStore, now: datetime) -> None:
    serials = iter(range(1, 100))
    for i in range(6):
        backup = Backup.create(str(uuid.uuid4()), PROJECT, f"备份 {i}", ["targeted"], now)
        _save(store, backup)
        ids = [str(uuid.uuid4()) for _ in range(3)]
        for k, file_id in enumerate(ids):   # one save per file, as the RPC does
            backup.add_file(file_id, _details(f"HRA{i:05d}{k}"), now, _confirmed(f"HRA{i:05d}{k}"))
            _save(store, backup)
        backup.delete_file(ids[2], now)                 # the highest position goes…
        _save(store, backup)
        backup.add_file(str(uuid.uuid4()), _details(f"HRA{i:05d}9"), now, _confirmed(f"HRA{i:05d}9"))
        _save(store, backup)                            # …and the next file takes its place
        backup.delete_file(ids[0], now)                 # a gap stays at position 1
        _save(store, backup)
        backup.update(name=f"备份 {i}（改）")
        _save(store, backup)
        if i % 2:
            backup.submit(now, lambda day: next(serials))
            _save(store, backup)
            backup.link_filing(f"F{i}", 100.0, "Example Ltd.", (now + timedelta(days=1)).isoformat())
            _save(store, backup)
    # Legacy backups: rows of their own at import; backup rows only once claimed.
    registrant = Registrant("黄志强", "h" * 64, "139****5678", "国家基因组科学数据中心测试")
    for i in range(2):
        record = {"backup_number": f"BF20210315000{i}", "name": f"旧备份 {i}", "project_name": "旧项目",
                  "pi_name": None, "pi_email": None, "categories": ["wgs"], "submitted_at": now - timedelta(days=900),
                  "files": [{"detailed_type": "raw_sequencing", "repository": "GSA-Human", "accession": f"HRA90000{i}",
                             "cases": 3, "mb_per_case": 10.0}]}
        legacy = Backup.import_legacy(record, registrant, now)
        with store.unit_of_work() as uow:
            uow.save(legacy)
            insert_imported(uow.connection, legacy.backup_id, record["backup_number"], registrant, now)
        if i == 0:
            owner = str(uuid.uuid4())
            legacy.claim(NewOwner(owner, "huang", "NGDC", None), "sms", owner, now)
            with store.unit_of_work() as uow:
                changed = [event.type for event in legacy.pending]
                uow.save(legacy)
                write_backup(uow.connection, legacy, changed)
                mark_claimed(uow.connection, legacy.backup_id, legacy.owner_id, "sms", now)


def _snapshot(engine) -> dict:
    with engine.connect() as connection:
        return {table.name: sorted((dict(row) for row in connection.execute(select(table)).mappings()),
                                   key=repr) for table in (*TABLES, backup_number_counters)}


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_rebuilt_backups_read_models_equal_the_live_writers(migrated_database, dialect):
    engine = create_engine(migrated_database("backups", dialect))
    store = EventStore(engine, source="backups")
    _workload(store, datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    live = _snapshot(engine)
    assert len(live["backups"]) == 7 and len(live["legacy_backups"]) == 2 and len(live["filings"]) == 3
    # Positions as write_backup gives them: after a removal the next file takes max + 1 (2, 3 left of
    # each new backup's four), a claimed legacy backup's files from 1.
    assert sorted(row["position"] for row in live["data_files"]) == [1] + [2] * 6 + [3] * 6

    checked = rebuild(engine, PROJECTIONS.named(None), check_only=True)
    assert checked.changed == 0, checked.rows
    assert checked.events == 57   # the backup streams read once for both read models that fold them
    assert checked.rows["backups"]["unchanged"] == 7 and checked.rows["data_files"]["unchanged"] == 13

    with engine.begin() as connection:   # a projection bug's damage: wrong, missing and stray rows
        victim = live["backups"][0]["id"]
        connection.execute(update(backups).where(backups.c.id == victim).values(name="坏了", total_mb=-1))
        connection.execute(delete(data_files).where(data_files.c.id == live["data_files"][0]["id"]))
        connection.execute(delete(filings).where(filings.c.filing_number == live["filings"][0]["filing_number"]))
        connection.execute(update(legacy_backups).values(claimed_at=None, owner_id=None, how=None))
        connection.execute(insert(filings).values(filing_number="F-STRAY", backup_id=victim, declared_mb=1,
                                                  recipient="x", filed_at=datetime.now(UTC)))
    repaired = rebuild(engine, PROJECTIONS.named(["backups", "legacy_backups"]))
    assert repaired.rows["backups"]["updated"] == 1
    assert repaired.rows["data_files"]["inserted"] == 1
    assert (repaired.rows["filings"]["inserted"], repaired.rows["filings"]["deleted"]) == (1, 1)
    assert repaired.rows["legacy_backups"]["updated"] == 1
    assert _snapshot(engine) == live   # counters untouched too
    assert rebuild(engine, PROJECTIONS.named(None), check_only=True).changed == 0


def test_a_read_model_emptied_is_refilled_and_others_are_left_alone(migrated_database):
    engine = create_engine(migrated_database("backups", "postgresql"))
    now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    _workload(EventStore(engine, source="backups"), now)
    live = _snapshot(engine)
    indexes = ("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('backups', 'data_files', 'filings') "
               "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
               "WHERE conrelid IN ('backups'::regclass, 'data_files'::regclass, 'filings'::regclass)")
    with engine.begin() as connection:
        for table in (filings, data_files, backups):
            connection.execute(delete(table))
        defined = sorted(connection.exec_driver_sql(indexes).all())
    # Empty tables: indexes and constraints dropped, rows filled, indexes and constraints made again.
    report = rebuild(engine, PROJECTIONS.named(["backups"]))
    with engine.connect() as connection:
        assert sorted(connection.exec_driver_sql(indexes).all()) == defined and len(defined) > 10
    # 6 × 8 events, 3 × 2 more (submitted, filed), 2 imports, 1 claim
    assert report.rows["backups"]["inserted"] == 7 and report.events == 57
    assert _snapshot(engine) == live
    assert claimed_values("a", "sms", now) == {"claimed_at": now, "owner_id": "a", "how": "sms"}
    with pytest.raises(KeyError):
        PROJECTIONS.named(["nonsense"])


def test_a_writer_that_locks_rows_before_it_appends_is_not_deadlocked_by_a_rebuild(migrated_database):
    """A writer locks a read model's rows (FOR UPDATE, as registry-sync's record does), a rebuild starts,
    then the writer appends and writes its rows: the rebuild holds none of the tables while it waits
    (a LOCK TABLE that waited holding ``events`` deadlocked here), so the writer commits at once and the
    rebuild then sees its write."""
    engine = create_engine(migrated_database("backups", "postgresql"))
    store = EventStore(engine, source="backups")
    now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    backup = Backup.create(str(uuid.uuid4()), PROJECT, "先锁后写", ["targeted"], now)
    _save(store, backup)
    result: dict = {}

    def rebuilding() -> None:
        try:
            result["report"] = rebuild(engine, PROJECTIONS.named(["backups"]), check_only=True)
        except Exception as exc:   # the test reports it
            result["error"] = exc

    rebuilder = threading.Thread(target=rebuilding)
    with store.unit_of_work(actor="t") as uow:
        uow.connection.exec_driver_sql("SET LOCAL lock_timeout = '5s'")   # a wait on the rebuild fails, not hangs
        uow.connection.execute(select(backups.c.id).where(backups.c.id == backup.backup_id).with_for_update())
        rebuilder.start()
        time.sleep(0.5)   # the rebuild is trying for its locks now
        assert "report" not in result and "error" not in result   # held back by the writer
        backup.update(name="先锁后写（改）")
        changed = [event.type for event in backup.pending]
        uow.save(backup)
        write_backup(uow.connection, backup, changed)
    rebuilder.join(timeout=30)
    assert "error" not in result, result["error"]
    assert result["report"].changed == 0 and result["report"].events == 2   # the writer's event seen


def _hgrip_rebuild(*args: str) -> tuple[int, str]:
    done = subprocess.run([str(Path(sys.executable).parent / "hgrip"), "rebuild", *args], capture_output=True,
                          text=True, timeout=120)
    return done.returncode, done.stdout.strip().splitlines()[-1]


def test_the_command_on_sqlite_checks_repairs_and_refuses_clearly(migrated_database, tmp_path):
    url = migrated_database("backups", "sqlite")
    engine = create_engine(url)
    _workload(EventStore(engine, source="backups"), datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    with engine.begin() as connection:
        connection.execute(update(backups).values(status="坏"))
    engine.dispose()
    code, out = _hgrip_rebuild("backups", "--check", "--database-url", url)
    assert code == 1 and json.loads(out)["rows"]["backups"]["updated"] == 7
    code, out = _hgrip_rebuild("backups", "--database-url", url)
    assert code == 0 and json.loads(out)["changed"] == 7
    assert _hgrip_rebuild("backups", "--check", "--database-url", url)[0] == 0
    code, out = _hgrip_rebuild("backups", "--read-model", "nonsense", "--database-url", url)
    assert code == 2 and "nonsense" in out and "没有读模型" in out
    code, out = _hgrip_rebuild("nowhere")
    assert code == 2 and "未知服务" in out
    code, out = _hgrip_rebuild("verification", "--database-url", f"sqlite:///{tmp_path / 'v.sqlite'}")
    assert code == 0 and json.loads(out)["rebuilt"] == [] and "verification_codes" in json.loads(out)["left_alone"]
    code, out = _hgrip_rebuild("projects", "--database-url", "postgresql+psycopg2://postgres@127.0.0.1:1/none")
    assert code == 3 and "未做任何修改" in out
