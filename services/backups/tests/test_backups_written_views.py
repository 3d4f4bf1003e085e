"""What a write answers without reading its rows back (app/writing.saved_view, read_models.written_view),
and the saves that rewrite only the backup's own row (read_models.ROW_ONLY_EVENTS), on PostgreSQL."""
import pytest
from sqlalchemy import select, update

from hgrip_backups.adapters import read_models
from hgrip_backups.adapters.tables import backups, data_files
from hgrip_kernel.store import EventStore, create_engine

FILED_AT = "2026-01-15T10:00:00+08:00"


def test_every_write_answers_what_get_backup_then_reads(lifecycle, manual_backup, files):
    owner, project, backup = manual_backup
    with lifecycle.rpc() as cluster:
        def same(answer):
            assert answer == cluster.backups.get_backup(owner, backup["id"])
            return answer

        same(backup)
        hra = cluster.backups.add_file(owner, backup["id"], dict(files.hra(), mb_per_case=1999.5))
        omix = cluster.backups.add_file(owner, backup["id"], files.omix())
        same(cluster.backups.update_backup(owner, backup["id"], {"name": "改名后的备份"}))
        cluster.backups.update_file(owner, backup["id"], hra["id"], {"cases": 7})
        cluster.backups.request_verification_code(owner, backup["id"], omix["id"])
        cluster.backups.verify_file(owner, backup["id"], omix["id"], "320000")
        submitted = same(cluster.backups.submit(owner, backup["id"]))
        assert [f["id"] for f in submitted["files"]] == [hra["id"], omix["id"]]
        assert submitted["status"] == "completed" and submitted["files"][0]["mb_per_case"] == 1999.5
        cluster.backups.link_filing({"filing_number": "BA202601150001", "declared_mb": 10,
                                     "backup_numbers": [submitted["backup_number"]],
                                     "recipient": "Pacific Genomics Ltd (US)", "filed_at": FILED_AT})
        # A locked backup's cases may still be corrected (a file event on a backup with a filing).
        corrected = cluster.backups.update_file(owner, backup["id"], hra["id"], {"cases": 8})
        assert corrected == cluster.backups.get_file(owner, backup["id"], hra["id"])
        detail = cluster.backups.get_backup(owner, backup["id"])
    assert detail["files"][0]["cases"] == 8 and detail["file_count"] == 2
    assert detail["filing_numbers"] == ["BA202601150001"] and detail["filings"][0]["exceeds_declared"]


@pytest.fixture
def store(make_database):
    engine = create_engine(make_database("backups"))
    yield EventStore(engine, source="backups")
    engine.dispose()


def _saved(store, backup, changed=None):
    """Save the aggregate's pending events and write its rows as the use cases do."""
    with store.unit_of_work(actor="test") as uow:
        changed = changed if changed is not None else [event.type for event in backup.pending]
        uow.save(backup)
        return read_models.write_backup(uow.connection, backup, changed)


def _file_cases(store) -> list[int]:
    with store.engine.connect() as connection:
        return list(connection.execute(select(data_files.c.cases).order_by(data_files.c.position)).scalars())


def test_row_only_saves_leave_files_alone_and_any_other_rewrites_them(store, domain):
    backup = domain.backup()
    domain.add(backup)
    domain.add(backup, accession="HRA000568", cases=3)
    row = _saved(store, backup)
    assert (row["file_count"], row["total_mb"], row["status"]) == (2, 106000, "draft")
    with store.engine.begin() as connection:   # a file row some other hand changed
        connection.execute(update(data_files).values(cases=999))

    backup.update(name="只改名")
    row = _saved(store, backup)                 # BackupRenamed: only the backup row is written
    assert row["name"] == "只改名" and row["version"] == backup.version == 4
    assert _file_cases(store) == [999, 999]

    backup.update(name="再改名")
    with store.unit_of_work(actor="test") as uow:  # changed unknown (None): every row rewritten
        uow.save(backup)
        read_models.write_backup(uow.connection, backup)
    assert _file_cases(store) == [50, 3]
    with store.engine.connect() as connection:
        assert connection.execute(select(backups.c.name)).scalar_one() == "再改名"


def test_a_file_event_rewrites_the_files(store, domain):
    backup = domain.backup()
    first = domain.add(backup)
    _saved(store, backup)
    backup.update_file(first.id, {"cases": 12}, domain.now, domain.confirmed)
    _saved(store, backup)
    assert _file_cases(store) == [12]
    assert read_models.ROW_ONLY_EVENTS.isdisjoint({"DataFileAdded", "DataFileUpdated", "DataFileRemoved",
                                                   "DataFileVerified", "FilingLinked",
                                                   "LegacyBackupImported", "BackupClaimed"})
