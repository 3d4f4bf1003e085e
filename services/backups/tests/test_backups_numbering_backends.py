"""The day counter on both backends (PostgreSQL and the embedded SQLite default), and a whole
backup submitted by a BackupsService running on SQLite."""
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from sqlalchemy import select

from hgrip_backups.adapters import numbering
from hgrip_backups.adapters.tables import backup_number_counters
from hgrip_kernel.store import EventStore, create_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def backups_url(request, sqlite_url, make_database):
    if request.param == "sqlite":
        from hgrip_kernel.cli.migrate import upgrade
        upgrade("backups", sqlite_url)  # the same Alembic revisions as on PostgreSQL
        return sqlite_url
    return make_database("backups")


@pytest.fixture
def store(backups_url):
    engine = create_engine(backups_url)
    yield EventStore(engine, source="backups")
    engine.dispose()


def _allocate(store, day):
    with store.unit_of_work(actor="test") as uow:
        return numbering.next_serial(uow.connection, day)


def test_serials_count_per_day_from_one(store):
    assert [_allocate(store, "20230628") for _ in range(3)] == [1, 2, 3]
    assert _allocate(store, "20230629") == 1
    with store.engine.connect() as connection:
        counters = connection.execute(select(backup_number_counters).order_by("day")).all()
    assert [tuple(row) for row in counters] == [("20230628", 3), ("20230629", 1)]


def test_concurrent_transactions_get_distinct_consecutive_serials(store):
    pool = eventlet.GreenPool(30)
    serials = list(pool.imap(lambda _: _allocate(store, "20230628"), range(100)))
    assert sorted(serials) == list(range(1, 101))


def test_a_rolled_back_submit_gives_its_serial_back(store):
    assert _allocate(store, "20230628") == 1
    with pytest.raises(RuntimeError), store.unit_of_work(actor="test") as uow:
        assert numbering.next_serial(uow.connection, "20230628") == 2
        raise RuntimeError("the submit failed after numbering")
    assert _allocate(store, "20230628") == 2  # no gap, nothing reused


def test_a_backup_submitted_on_sqlite(make_lifecycle, sqlite_url, files):
    from hgrip_kernel.cli.migrate import upgrade

    upgrade("backups", sqlite_url)
    lifecycle = make_lifecycle(backups_url=sqlite_url)
    owner = lifecycle.provision()
    project = lifecycle.project(owner)
    with lifecycle.rpc() as cluster:
        backup = cluster.backups.create_backup(owner, project["id"], {
            "name": "三例样本（父母子）的测序数据对外提供", "categories": ["targeted"]})
        cluster.backups.add_file(owner, backup["id"], files.hra())
        omix = cluster.backups.add_file(owner, backup["id"], files.omix())
        cluster.backups.request_verification_code(owner, backup["id"], omix["id"])
        cluster.backups.verify_file(owner, backup["id"], omix["id"], "320000")
        first = cluster.backups.submit(owner, backup["id"])
        other = cluster.backups.create_backup(owner, project["id"], {"name": "第二个", "categories": ["wgs"]})
        cluster.backups.add_file(owner, other["id"], files.hra())
        second = cluster.backups.submit(owner, other["id"])
        history = cluster.backups.history(owner, backup["id"])
    day = (datetime.fromisoformat(first["submitted_at"]) + timedelta(hours=8)).strftime("%Y%m%d")
    assert first["backup_number"] == f"BF{day}00001"
    assert second["backup_number"] in (f"BF{day}00002", f"BF{second['backup_number'][2:10]}00001")
    assert (first["status"], first["file_count"], first["total_mb"]) == ("completed", 2, 100050)
    assert [h["event_type"] for h in history][-1] == "BackupSubmitted"
    assert lifecycle.urls["backups"].startswith("sqlite")
    assert sum(last for (last,) in lifecycle.rows(select(backup_number_counters.c.last))) == 2


def test_a_day_past_its_last_serial_refuses_the_submit_and_writes_nothing(lifecycle, manual_backup, files):
    """PostgreSQL numbers a submit by its last statement (app/numbering.py): past the day's last
    serial that statement writes nothing, the submit is refused and everything rolls back."""
    from hgrip_backups.domain.backup_number import MAX_SERIAL
    from hgrip_kernel.store.tables import events

    owner, _, backup = manual_backup
    with lifecycle.rpc() as cluster:
        cluster.backups.add_file(owner, backup["id"], files.hra())
    beijing = datetime.now(UTC) + timedelta(hours=8)
    days = {(beijing + timedelta(days=n)).strftime("%Y%m%d") for n in (-1, 0, 1)}  # a run may straddle midnight
    with lifecycle.engine.begin() as connection:
        connection.execute(backup_number_counters.insert(), [{"day": day, "last": MAX_SERIAL} for day in days])
    before = lifecycle.count(events)
    with lifecycle.rpc() as cluster:
        with pytest.raises(Exception) as caught:
            cluster.backups.submit(owner, backup["id"])
        assert caught.value.code == "backup_numbers_exhausted"
        assert cluster.backups.get_backup(owner, backup["id"])["backup_number"] is None
    assert lifecycle.count(events) == before
    assert {last for (last,) in lifecycle.rows(select(backup_number_counters.c.last))} == {MAX_SERIAL}
