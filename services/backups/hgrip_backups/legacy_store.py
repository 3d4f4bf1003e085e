"""The ``legacy_backups`` table: one row per imported legacy backup, the index claims search.

Written in the same transaction as the backup's events: by the import (``LegacyBackupImported``) and
by every claim (``BackupClaimed``). ``UNIQUE(backup_number)`` makes a number importable once; a claim
marks the row only ``WHERE claimed_at IS NULL``, so of two claims racing for one backup exactly one
marks it (the aggregate refuses the other as well). The mobile is kept as a keyed hash only.
"""
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Index,
    String,
    Table,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)

from hgrip_kernel.store.tables import UTCDateTime

from .domain.legacy import Registrant
from .projections import metadata

legacy_backups = Table(
    "legacy_backups", metadata,
    Column("backup_id", String(36), primary_key=True),
    Column("backup_number", String(32), nullable=False),
    Column("registrant_name", String(200), nullable=False),
    Column("registrant_name_key", String(200), nullable=False),
    Column("mobile_hash", String(64), nullable=False),
    Column("mobile_masked", String(20), nullable=False),
    Column("institution_name", String(200), nullable=False),
    Column("institution_key", String(200), nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime),
    Column("owner_id", String(36)),
    Column("how", String(20)),
    UniqueConstraint("backup_number", name="uq_legacy_backups_backup_number"),
    CheckConstraint("(claimed_at IS NULL) = (owner_id IS NULL) AND (claimed_at IS NULL) = (how IS NULL)",
                    name="ck_legacy_backups_claim_complete"),
    Index("ix_legacy_backups_registrant", "registrant_name_key", "mobile_hash"),
)


def insert_imported(connection, backup_id: str, backup_number: str, registrant: Registrant,
                    imported_at: datetime) -> None:
    connection.execute(insert(legacy_backups).values(
        backup_id=backup_id, backup_number=backup_number, registrant_name=registrant.name,
        registrant_name_key=registrant.name_key, mobile_hash=registrant.mobile_hash,
        mobile_masked=registrant.mobile_masked, institution_name=registrant.institution_name,
        institution_key=registrant.institution_key, imported_at=imported_at))


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
                              .values(claimed_at=claimed_at, owner_id=owner_id, how=how))
    return done.rowcount == 1


def counts(connection) -> dict:
    """``{"imported": n, "claimed": m}``, for operators and tests."""
    total, claimed = connection.execute(select(
        func.count(), func.count(legacy_backups.c.claimed_at))).one()
    return {"imported": total, "claimed": claimed}
