"""Read models of the backups service (SQLAlchemy Core), written in the same transaction as events.

- ``known_projects``: projects learnt from projects.ProjectCreated.
- ``backups`` / ``data_files``: each backup aggregate as the lists and screens read it; rewritten
  from the aggregate's state after every change, so the rows always equal the folded stream.
- ``backup_number_counters``: the last serial handed out per Beijing day (see numbering.py).
- ``filings``: HGRG filing numbers (备案号) and the backups each cites (one row per pair), from
  FilingLinked; UNIQUE(filing_number, backup_id).

UNIQUE(backup_number) and UNIQUE(backup_id, accession) back up the domain's rules: whatever
the code above them gets wrong, the database refuses to store a duplicate.
"""
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)

from hgrip_kernel.store.tables import UTCDateTime

metadata = MetaData()

known_projects = Table(
    "known_projects", metadata,
    Column("project_id", String(36), primary_key=True),
    Column("owner_id", String(36), nullable=False, index=True),
    Column("institution_code", String(64), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("applied_event_id", String(36), nullable=False),
    Index("ix_known_projects_owner_name", "owner_id", "name"),
)

backups = Table(
    "backups", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(36)),     # NULL for a legacy backup (no project here)
    Column("owner_id", String(36), nullable=False),
    Column("name", String(200), nullable=False),
    Column("categories", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("backup_number", String(20)),  # NULL until submitted
    Column("file_count", Integer, nullable=False),
    Column("total_mb", Float, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("submitted_at", UTCDateTime),
    Column("institution_code", String(64), nullable=False),
    Column("unit_code", String(64)),
    Column("pi_name", String(50), nullable=False),
    Column("pi_email", String(254), nullable=False),
    Column("project_name", String(200), nullable=False),
    Column("version", Integer, nullable=False),  # stream version the row reflects
    Column("origin", String(10), nullable=False, server_default="new"),  # new | legacy
    UniqueConstraint("backup_number", name="uq_backups_backup_number"),
    Index("ix_backups_project_created", "project_id", "created_at"),
    Index("ix_backups_owner", "owner_id"),
    Index("ix_backups_institution_unit", "institution_code", "unit_code"),
    Index("ix_backups_scope_status_created", "institution_code", "status", "created_at"),
    Index("ix_backups_scope_unit_status_created", "institution_code", "unit_code", "status",
          "created_at"),
)

data_files = Table(
    "data_files", metadata,
    Column("id", String(36), primary_key=True),
    Column("backup_id", String(36), ForeignKey("backups.id", name="fk_data_files_backup"), nullable=False),
    Column("position", Integer, nullable=False),  # order of addition within the backup
    Column("detailed_type", String(40), nullable=False),
    Column("repository", String(20), nullable=False),
    Column("cases", BigInteger, nullable=False),
    Column("mb_per_case", Float, nullable=False),
    Column("submission_account", String(254), nullable=False),
    Column("accession", String(64), nullable=False),
    Column("progress", String(30), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("backup_id", "accession", name="uq_data_files_backup_accession"),
    Index("ix_data_files_accession", "accession"),
)

backup_number_counters = Table(
    "backup_number_counters", metadata,
    Column("day", String(8), primary_key=True),   # YYYYMMDD, Beijing time
    Column("last", Integer, nullable=False),
)

filings = Table(
    "filings", metadata,
    Column("filing_number", String(64), nullable=False),
    Column("backup_id", String(36), ForeignKey("backups.id", name="fk_filings_backup"), nullable=False),
    Column("declared_mb", Float, nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("filed_at", UTCDateTime, nullable=False),
    UniqueConstraint("filing_number", "backup_id", name="uq_filings_number_backup"),
    Index("ix_filings_backup", "backup_id"),
)


# --- known projects --------------------------------------------------------------------------
def apply_project_created(connection, envelope) -> None:
    data = envelope.data
    connection.execute(insert(known_projects).values(
        project_id=data["project_id"], owner_id=data["owner_id"],
        institution_code=data["institution_code"], name=data["name"],
        applied_event_id=envelope.event_id))


def get_known_project(connection, project_id: str) -> dict | None:
    row = connection.execute(
        select(known_projects).where(known_projects.c.project_id == project_id)).mappings().first()
    return dict(row) if row else None


# --- backups and their files -----------------------------------------------------------------
def _time(value: str | None):
    return datetime.fromisoformat(value) if value else None


def write_backup(connection, backup) -> None:
    """Make the rows of ``backup`` (a saved Backup aggregate) equal to its state."""
    row = {
        "project_id": backup.project_id, "owner_id": backup.owner_id, "name": backup.name,
        "categories": list(backup.categories), "status": backup.status,
        "backup_number": backup.backup_number, "file_count": len(backup.files),
        "total_mb": backup.total_mb, "created_at": _time(backup.created_at),
        "submitted_at": _time(backup.submitted_at), "institution_code": backup.institution_code,
        "unit_code": backup.unit_code, "pi_name": backup.pi_name, "pi_email": backup.pi_email,
        "project_name": backup.project_name, "version": backup.version, "origin": backup.origin,
    }
    done = connection.execute(update(backups).where(backups.c.id == backup.backup_id).values(**row))
    if done.rowcount == 0:
        connection.execute(insert(backups).values(id=backup.backup_id, **row))
    _write_files(connection, backup)
    _write_filings(connection, backup)


def _write_filings(connection, backup) -> None:
    """Filings are only ever added to a backup: insert the ones the rows do not have yet."""
    if not backup.filings:
        return
    stored = set(connection.execute(
        select(filings.c.filing_number).where(filings.c.backup_id == backup.backup_id)).scalars())
    for number, filing in backup.filings.items():
        if number not in stored:
            connection.execute(insert(filings).values(
                filing_number=number, backup_id=backup.backup_id,
                declared_mb=filing["declared_mb"], recipient=filing["recipient"],
                filed_at=_time(filing["filed_at"])))


def _write_files(connection, backup) -> None:
    stored = {r.id: r for r in connection.execute(
        select(data_files).where(data_files.c.backup_id == backup.backup_id))}
    gone = set(stored) - set(backup.files)
    if gone:
        connection.execute(delete(data_files).where(data_files.c.id.in_(gone)))
    next_position = max((r.position for r in stored.values()), default=0) + 1
    for data_file in backup.files.values():
        values = {
            "detailed_type": data_file.detailed_type, "repository": data_file.repository,
            "cases": data_file.cases, "mb_per_case": data_file.mb_per_case,
            "submission_account": data_file.submission_account, "accession": data_file.accession,
            "progress": data_file.progress, "created_at": _time(data_file.created_at),
            "updated_at": _time(data_file.updated_at),
        }
        old = stored.get(data_file.id)
        if old is None:
            connection.execute(insert(data_files).values(
                id=data_file.id, backup_id=backup.backup_id, position=next_position, **values))
            next_position += 1
        elif any(getattr(old, k) != v for k, v in values.items()):
            connection.execute(update(data_files).where(data_files.c.id == data_file.id)
                               .values(**values))


def get_backup(connection, backup_id: str, owner_id: str):
    """The row, or None when it is missing or someone else's (the caller cannot tell which)."""
    query = select(backups).where(backups.c.id == backup_id, backups.c.owner_id == owner_id)
    return connection.execute(query).mappings().first()


def files_of(connection, backup_id: str) -> list:
    query = (select(data_files).where(data_files.c.backup_id == backup_id)
             .order_by(data_files.c.position))
    return list(connection.execute(query).mappings())


def list_for_project(connection, project_id: str, owner_id: str) -> list:
    query = (select(backups)
             .where(backups.c.project_id == project_id, backups.c.owner_id == owner_id)
             .order_by(backups.c.created_at.desc(), backups.c.id.desc()))
    return list(connection.execute(query).mappings())


def get_file(connection, file_id: str):
    return connection.execute(select(data_files).where(data_files.c.id == file_id)).mappings().first()


# --- HGRG filings ----------------------------------------------------------------------------
def backup_ids_by_number(connection, numbers) -> dict:
    """backup number -> backup id, for the numbers that exist (anyone's: HGRG speaks for all)."""
    if not numbers:
        return {}
    query = select(backups.c.backup_number, backups.c.id).where(backups.c.backup_number.in_(list(numbers)))
    return {row.backup_number: row.id for row in connection.execute(query)}


def filing_numbers_of(connection, backup_ids) -> dict:
    """backup id -> its filing numbers, in the order they were filed."""
    found = {backup_id: [] for backup_id in backup_ids}
    if not found:
        return found
    query = (select(filings.c.backup_id, filings.c.filing_number)
             .where(filings.c.backup_id.in_(list(found)))
             .order_by(filings.c.filed_at, filings.c.filing_number))
    for row in connection.execute(query):
        found[row.backup_id].append(row.filing_number)
    return found


def filings_of(connection, backup_id: str) -> list[dict]:
    """The filings citing one backup, each with Σ total_mb of every backup that filing cites."""
    own = list(connection.execute(
        select(filings).where(filings.c.backup_id == backup_id)
        .order_by(filings.c.filed_at, filings.c.filing_number)).mappings())
    if not own:
        return []
    numbers = [row["filing_number"] for row in own]
    totals = dict(connection.execute(
        select(filings.c.filing_number, func.sum(backups.c.total_mb))
        .select_from(filings.join(backups, backups.c.id == filings.c.backup_id))
        .where(filings.c.filing_number.in_(numbers))
        .group_by(filings.c.filing_number)).all())
    return [{**dict(row), "cited_total_mb": totals.get(row["filing_number"], 0)} for row in own]

