"""A submit on PostgreSQL writes the backup's ``backups`` row once (app/numbering.py): the numbering
statement, the transaction's last, sets every column with the number; the row (its indexes, GIN
expressions included) is not first written without its number and then again."""
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from hgrip_backups.adapters import read_models
from hgrip_backups.adapters.tables import backups, data_files
from hgrip_backups.app.numbering import submit_numbered
from hgrip_backups.domain.backup import Backup, backup_stream_id
from hgrip_kernel.store import EventStore, create_engine
from hgrip_kernel.store.tables import events

PORTS = SimpleNamespace(backups=read_models)   # all submit_numbered reaches: the real read models


@pytest.fixture
def store(make_database):
    engine = create_engine(make_database("backups"))
    yield EventStore(engine, source="backups")
    engine.dispose()


@pytest.fixture
def statements(store):
    """Every SQL statement the store's engine sends, in order."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    yield sent
    event.remove(store.engine, "before_cursor_execute", record)


def _writes_of_backups(sent) -> list[str]:
    """The UPDATE / INSERT of ``backups`` in each statement (a CTE's included)."""
    return [m.group(1).upper() for s in sent for m in re.finditer(r"\b(UPDATE|INSERT INTO)\s+backups\b", s, re.I)]


def _submitted(store, backup_id) -> tuple[str, dict]:
    with store.unit_of_work(actor="test") as uow:
        return submit_numbered(PORTS, uow, uow.load(Backup, backup_stream_id(backup_id)))


def _stored(store, backup_id) -> dict:
    with store.engine.connect() as connection:
        return dict(connection.execute(select(backups).where(backups.c.id == backup_id)).mappings().one())


def _event_number(store) -> str:
    with store.engine.connect() as connection:
        [data] = connection.execute(select(events.c.data).where(events.c.event_type == "BackupSubmitted")).scalars()
    return data["backup_number"]


def test_a_submit_writes_the_backups_row_once_with_every_column_and_its_number(store, domain, statements):
    backup = domain.backup()
    domain.add(backup)
    domain.add(backup, accession="HRA000568", cases=3)
    with store.unit_of_work(actor="test") as uow:
        uow.save(backup)
        read_models.write_backup(uow.connection, backup)
    statements.clear()

    number, view = _submitted(store, backup.backup_id)

    assert _writes_of_backups(statements) == ["UPDATE"]     # one write of the row per submit
    # ... by the transaction's last statement (before the COMMIT), the one incrementing the counter
    assert "backup_number_counters" in statements[-1] and _writes_of_backups(statements[-1:]) == ["UPDATE"]
    stored = _stored(store, backup.backup_id)
    with store.unit_of_work(actor="test") as uow:
        submitted = uow.load(Backup, backup_stream_id(backup.backup_id))
    assert submitted.backup_number == number and number.endswith("00001")
    assert stored == {"id": backup.backup_id, **read_models.backup_row(submitted)}   # every column
    assert (stored["status"], stored["backup_number"], stored["version"]) == ("completed", number, 4)
    assert stored["submitted_at"] is not None and stored["categories"] == ["targeted"]
    assert _event_number(store) == number
    with store.engine.connect() as connection:   # the answer is what get_backup then reads
        assert view == read_models.backup_view(connection, backup.backup_id, backup.owner_id)


def test_a_backup_without_its_row_is_written_whole_when_numbered(store, domain, statements):
    """No ``backups`` row to number (read models lost, say): the numbering statement writes none, and
    the row, its files and the number are written after it, in the same transaction."""
    backup = domain.backup()
    domain.add(backup)
    with store.unit_of_work(actor="test") as uow:
        uow.save(backup)   # the events only

    number, view = _submitted(store, backup.backup_id)

    assert _writes_of_backups(statements) == ["UPDATE", "UPDATE", "INSERT INTO"]
    stored = _stored(store, backup.backup_id)
    assert stored["backup_number"] == number == _event_number(store) and stored["status"] == "completed"
    with store.engine.connect() as connection:
        assert connection.execute(select(data_files.c.accession)).scalars().all() == ["HRA000567"]
        assert view == read_models.backup_view(connection, backup.backup_id, backup.owner_id)


def test_events_beyond_the_row_write_the_files_first_and_the_row_is_numbered_last(store, domain):
    """write_backup(number_later=True) with events that change files: the row is written first (no
    number yet) as the files' parent, then number_last gives it every column and the number."""
    backup = domain.backup()
    domain.add(backup)
    backup.submit(domain.now, lambda day: 1)
    with store.unit_of_work(actor="test") as uow:
        saved = uow.save(backup)
        answered = read_models.write_backup(uow.connection, backup, [e.event_type for e in saved], number_later=True)
        assert answered["backup_number"] is None
        serial, number, row = read_models.number_last(uow.connection, backup, "20230628", saved[-1].event_id)
    assert (serial, number) == (1, "BF2023062800001") and row["backup_number"] == number
    assert _stored(store, backup.backup_id) == dict(row) == {"id": backup.backup_id, **read_models.backup_row(backup)}
    with store.unit_of_work(actor="test") as uow:   # a submit's own events: the row is left to number_last
        assert read_models.write_backup(uow.connection, backup, ["BackupSubmitted"], number_later=True) is None
