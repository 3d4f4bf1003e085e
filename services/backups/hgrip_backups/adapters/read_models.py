"""The backups read models (SQLAlchemy Core), written in the same transaction as events.

The tables are in tables.py; here their writes and reads: known projects, each backup aggregate
as its rows (``write_backup``: rows equal to the folded stream), its files and filings.
"""
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, update

from ..app.views import backup_view as _backup_view
from ..app.views import file_view as _file_view
from . import numbering
from .numbering import next_serial, numbers_last
from .tables import backups, data_files, filings, known_projects

# The day counters are this read model's too (app.ports.BackupRecords).
__all__ = ["next_serial", "numbers_last"]

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


# Events that change only the backup's own row: saving them leaves its files and filings alone
# (any other event, or an unknown set, rewrites those too). Not BackupClaimed: a legacy backup
# gets its rows, files included, only when it is claimed (adapters/legacy_store.py writes none).
ROW_ONLY_EVENTS = frozenset({"BackupCreated", "BackupRenamed", "BackupCategoriesChanged",
                             "BackupSubmitted", "BackupDelegated"})

# The hot statements, built once: no per-call construction or cache-key walk.
_UPDATE_BACKUP = (update(backups).where(backups.c.id == bindparam("backup_id"))
                  .returning(*backups.c))
_INSERT_BACKUP = insert(backups).returning(*backups.c)
_OWNED_BACKUP = select(backups).where(backups.c.id == bindparam("backup_id"),
                                      backups.c.owner_id == bindparam("owner_id"))
_FILES_OF = (select(data_files).where(data_files.c.backup_id == bindparam("backup_id"))
             .order_by(data_files.c.position))
_FILINGS_OF = (select(filings).where(filings.c.backup_id == bindparam("backup_id"))
               .order_by(filings.c.filed_at, filings.c.filing_number))


def backup_row(backup) -> dict:
    """The ``backups`` row of a Backup aggregate, but its ``id`` (the rebuild's rule too)."""
    return {
        "project_id": backup.project_id, "owner_id": backup.owner_id, "name": backup.name,
        "categories": list(backup.categories), "status": backup.status,
        "backup_number": backup.backup_number, "file_count": len(backup.files),
        "total_mb": backup.total_mb, "created_at": _time(backup.created_at),
        "submitted_at": _time(backup.submitted_at), "institution_code": backup.institution_code,
        "unit_code": backup.unit_code, "pi_name": backup.pi_name, "pi_email": backup.pi_email,
        "project_name": backup.project_name, "version": backup.version, "origin": backup.origin,
    }


def has_rows(backup) -> bool:
    """Whether a backup has read-model rows: a legacy one only once claimed (legacy_store writes none)."""
    return backup.origin != "legacy" or backup.claimed


def file_values(data_file) -> dict:
    """A ``data_files`` row's columns told by the DataFile (not its id, backup or position)."""
    return {
        "detailed_type": data_file.detailed_type, "repository": data_file.repository,
        "cases": data_file.cases, "mb_per_case": data_file.mb_per_case,
        "submission_account": data_file.submission_account, "accession": data_file.accession,
        "progress": data_file.progress, "created_at": _time(data_file.created_at),
        "updated_at": _time(data_file.updated_at),
    }


def filing_row(backup_id: str, number: str, filing: dict) -> dict:
    return {"filing_number": number, "backup_id": backup_id, "declared_mb": filing["declared_mb"],
            "recipient": filing["recipient"], "filed_at": _time(filing["filed_at"])}


def write_backup(connection, backup, changed: Collection[str] | None = None, number_later: bool = False):
    """Make the rows of ``backup`` (a saved Backup aggregate) equal to its state and answer its
    ``backups`` row as stored. ``changed``: the types of the events just saved; when all are in
    ROW_ONLY_EVENTS the files and filings are not even read (None: rewrite everything).
    ``number_later`` (a submit on PostgreSQL): the ``backups`` row is ``number_last``'s to write,
    with its number, and None is answered; only when the files or filings are rewritten is it
    written here first (number empty), as the rows they reference."""
    rewrite_all = changed is None or not ROW_ONLY_EVENTS.issuperset(changed)
    stored = None
    if rewrite_all or not number_later:
        row = backup_row(backup)
        if number_later:
            row["backup_number"] = None
        stored = connection.execute(_UPDATE_BACKUP, {"backup_id": backup.backup_id, **row}).mappings().first()
        if stored is None:
            stored = connection.execute(_INSERT_BACKUP, {"id": backup.backup_id, **row}).mappings().one()
    if rewrite_all:
        _write_files(connection, backup)
        _write_filings(connection, backup)
    return stored


def number_last(connection, backup, day: str, event_id: str):
    """numbering.number_last with the row of ``backup`` (submitted, its number a stand-in): the
    day's next serial written as its number into event ``event_id`` and its whole ``backups`` row,
    in the submit's last statement → ``(serial, number or None, row as stored or None)``."""
    return numbering.number_last(connection, day, event_id, backup.backup_id, backup_row(backup))


def _write_filings(connection, backup) -> None:
    """Filings are only ever added to a backup: insert the ones the rows do not have yet."""
    if not backup.filings:
        return
    stored = set(connection.execute(
        select(filings.c.filing_number).where(filings.c.backup_id == backup.backup_id)).scalars())
    for number, filing in backup.filings.items():
        if number not in stored:
            connection.execute(insert(filings).values(**filing_row(backup.backup_id, number, filing)))


def _write_files(connection, backup) -> None:
    stored = {r.id: r for r in connection.execute(_FILES_OF, {"backup_id": backup.backup_id})}
    gone = set(stored) - set(backup.files)
    if gone:
        connection.execute(delete(data_files).where(data_files.c.id.in_(gone)))
    next_position = max((r.position for r in stored.values()), default=0) + 1
    for data_file in backup.files.values():
        values = file_values(data_file)
        old = stored.get(data_file.id)
        if old is None:
            connection.execute(insert(data_files).values(
                id=data_file.id, backup_id=backup.backup_id, position=next_position, **values))
            next_position += 1
        elif any(getattr(old, k) != v for k, v in values.items()):
            connection.execute(update(data_files).where(data_files.c.id == data_file.id)
                               .values(**values))


def backup_view(connection, backup_id: str | None, owner_id: str | None) -> dict | None:
    """The owner's backup as get_backup answers it (files, filing numbers, filings); else None."""
    row = get_backup(connection, backup_id, owner_id) if backup_id else None
    if row is None:
        return None
    return _detail(connection, row)


def written_view(connection, backup, row) -> dict:
    """backup_view of a backup just written, read back from nothing but its filings (only when it
    has any): the ``row`` write_backup (or a submit's number_last) answered, and the files as the
    aggregate holds them — what _write_files made the rows equal to, in the same order (positions
    follow the order of adding)."""
    files = [{**f.to_dict(), "created_at": _time(f.created_at), "updated_at": _time(f.updated_at)}
             for f in backup.files.values()]
    cited = filings_of(connection, row["id"]) if backup.filings else []
    return _backup_view(row, files, filing_numbers=[f["filing_number"] for f in cited], filings=cited)


def _detail(connection, row) -> dict:
    cited = filings_of(connection, row["id"])
    return _backup_view(row, files_of(connection, row["id"]),
                        filing_numbers=[f["filing_number"] for f in cited], filings=cited)


def file_view(connection, file_id: str) -> dict:
    return _file_view(get_file(connection, file_id))


def owns_backup(connection, backup_id: str | None, owner_id: str | None) -> bool:
    return get_backup(connection, backup_id, owner_id) is not None


def project_backups(connection, project_id: str, owner_id: str) -> list[dict]:
    """The project's backups as list_backups answers them, newest first."""
    rows = list_for_project(connection, project_id, owner_id)
    numbers = filing_numbers_of(connection, [row["id"] for row in rows])
    return [_backup_view(row, filing_numbers=numbers[row["id"]]) for row in rows]


def backup_facts(connection, backup_id: str) -> dict | None:
    """Who owns a backup now, its number and name (verification's notices); None if unknown."""
    row = connection.execute(select(backups.c.id, backups.c.owner_id, backups.c.backup_number, backups.c.name)
                             .where(backups.c.id == backup_id)).mappings().first()
    return None if row is None else {"backup_id": row["id"], "owner_id": row["owner_id"],
                                     "backup_number": row["backup_number"], "name": row["name"]}


def get_backup(connection, backup_id: str | None, owner_id: str | None):
    """The row, or None when it is missing or someone else's (the caller cannot tell which)."""
    return connection.execute(_OWNED_BACKUP, {"backup_id": backup_id, "owner_id": owner_id}).mappings().first()


def files_of(connection, backup_id: str) -> list:
    return list(connection.execute(_FILES_OF, {"backup_id": backup_id}).mappings())


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
    """The filings citing one backup in the order they were filed (as filing_numbers_of), each
    with Σ total_mb of every backup that filing cites."""
    own = list(connection.execute(_FILINGS_OF, {"backup_id": backup_id}).mappings())
    if not own:
        return []
    numbers = [row["filing_number"] for row in own]
    totals = dict(connection.execute(
        select(filings.c.filing_number, func.sum(backups.c.total_mb))
        .select_from(filings.join(backups, backups.c.id == filings.c.backup_id))
        .where(filings.c.filing_number.in_(numbers))
        .group_by(filings.c.filing_number)).all())
    return [{**dict(row), "cited_total_mb": totals.get(row["filing_number"], 0)} for row in own]


# --- delegation transfer ---------------------------------------------------------------------
def owned_backup_ids(connection, owner_id: str) -> list[str]:
    query = (select(backups.c.id).where(backups.c.owner_id == owner_id)
             .order_by(backups.c.created_at, backups.c.id))
    return list(connection.execute(query).scalars())


def owned_project_ids(connection, owner_id: str) -> list[str]:
    query = (select(known_projects.c.project_id).where(known_projects.c.owner_id == owner_id)
             .order_by(known_projects.c.project_id))
    return list(connection.execute(query).scalars())


def project_name_clashes(connection, from_owner_id: str, to_owner_id: str) -> list[str]:
    """Names of the moving projects the new delegate already uses (names are unique per person)."""
    moving = set(connection.execute(
        select(known_projects.c.name).where(known_projects.c.owner_id == from_owner_id)).scalars())
    if not moving:
        return []
    taken = connection.execute(select(known_projects.c.name).where(
        known_projects.c.owner_id == to_owner_id, known_projects.c.name.in_(moving))).scalars()
    return sorted(set(taken))


def move_projects(connection, project_ids, owner_id: str) -> None:
    connection.execute(update(known_projects).where(known_projects.c.project_id.in_(project_ids))
                       .values(owner_id=owner_id))
