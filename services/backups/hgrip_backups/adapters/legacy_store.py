"""The ``legacy_backups`` table (tables.py): one row per imported legacy backup, the index claims search.

Written in the same transaction as the backup's events: by the import (``LegacyBackupImported``) and
by every claim (``BackupClaimed``). ``UNIQUE(backup_number)`` makes a number importable once; a claim
marks the row only ``WHERE claimed_at IS NULL``, so of two claims racing for one backup exactly one
marks it (the aggregate refuses the other as well). The mobile is kept as a keyed hash only.
"""
from datetime import datetime

from sqlalchemy import func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.errors import ConcurrencyError
from hgrip_kernel.store import EventStore

from ..app.legacy_import import IMPORTED, PRESENT
from ..domain.backup import Backup
from ..domain.legacy import Registrant
from ..domain.legacy_records import LegacyBackupRecord
from .tables import backups, legacy_backups


def imported_row(backup_id: str, backup_number: str, registrant: Registrant, imported_at: datetime) -> dict:
    """The row of an imported legacy backup, not yet claimed (the rebuild's rule too)."""
    return {"backup_id": backup_id, "backup_number": backup_number, "registrant_name": registrant.name,
            "registrant_name_key": registrant.name_key, "mobile_hash": registrant.mobile_hash,
            "mobile_masked": registrant.mobile_masked, "institution_name": registrant.institution_name,
            "institution_key": registrant.institution_key, "imported_at": imported_at}


def claimed_values(owner_id: str, how: str, claimed_at: datetime) -> dict:
    """What a claim sets on the row (the rebuild's rule too)."""
    return {"claimed_at": claimed_at, "owner_id": owner_id, "how": how}


def insert_imported(connection, backup_id: str, backup_number: str, registrant: Registrant,
                    imported_at: datetime) -> None:
    connection.execute(insert(legacy_backups).values(
        **imported_row(backup_id, backup_number, registrant, imported_at)))


def imported_numbers(connection, numbers) -> set[str]:
    """Those of ``numbers`` already imported."""
    numbers = list(numbers)
    found = set()
    for start in range(0, len(numbers), 500):
        found.update(connection.execute(select(legacy_backups.c.backup_number).where(
            legacy_backups.c.backup_number.in_(numbers[start:start + 500]))).scalars())
    return found


def registrant_rows(connection, name_key: str, mobile_hash: str, *, unclaimed_only: bool = False,
                    institution_key: str | None = None, lock: bool = False) -> list:
    """A registrant's legacy backups (by name and mobile; optionally by institution too), in
    number order. ``lock``: FOR UPDATE, so that racing claims queue and the later one sees the
    earlier one's marks (SQLite serialises writers anyway)."""
    query = select(legacy_backups).where(legacy_backups.c.registrant_name_key == name_key,
                                         legacy_backups.c.mobile_hash == mobile_hash)
    if unclaimed_only:
        query = query.where(legacy_backups.c.claimed_at.is_(None))
    if institution_key is not None:
        query = query.where(legacy_backups.c.institution_key == institution_key)
    if lock:
        query = query.with_for_update()
    return list(connection.execute(query.order_by(legacy_backups.c.backup_number)).mappings())


def mark_claimed(connection, backup_id: str, owner_id: str, how: str, claimed_at: datetime) -> bool:
    """True when this claim marked the row; False when it was claimed already."""
    done = connection.execute(update(legacy_backups)
                              .where(legacy_backups.c.backup_id == backup_id,
                                     legacy_backups.c.claimed_at.is_(None))
                              .values(**claimed_values(owner_id, how, claimed_at)))
    return done.rowcount == 1


def counts(connection) -> dict:
    """``{"imported": n, "claimed": m}``, for operators and tests."""
    total, claimed = connection.execute(select(
        func.count(), func.count(legacy_backups.c.claimed_at))).one()
    return {"imported": total, "claimed": claimed}


class ImportTarget:
    """The backups database as ``hgrip legacy import`` writes it (app.legacy_import.ImportTarget)."""

    def __init__(self, engine):
        self.engine = engine
        self.store = EventStore(engine, source="backups")

    def ready(self) -> bool:
        return inspect(self.engine).has_table(legacy_backups.name)

    def platform_numbers(self, numbers: list[str]) -> set[str]:
        taken: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(numbers), 500):
                taken.update(connection.execute(select(backups.c.backup_number).where(
                    backups.c.backup_number.in_(numbers[start:start + 500]),
                    backups.c.origin != "legacy")).scalars())
        return taken

    def write(self, record: LegacyBackupRecord, run_id: str) -> str:
        def work(uow):
            if imported_numbers(uow.connection, [record.backup_number]):
                return PRESENT
            now = utcnow()
            backup = Backup.import_legacy(record.values, record.registrant, now)
            uow.save(backup)
            insert_imported(uow.connection, backup.backup_id, record.backup_number, record.registrant, now)
            return IMPORTED

        try:
            return self.store.write(work, actor=None, correlation_id=run_id, attempts=3)
        except (ConcurrencyError, IntegrityError):
            return PRESENT   # another import wrote this number at the same moment
