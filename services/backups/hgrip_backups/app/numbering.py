"""Numbering a submission in its unit of work, with the day's counter held as briefly as possible.

Numbers are unique and consecutive per Beijing day because the day's counter row is incremented in
the submit's own transaction: concurrent submits wait for each other from that increment to the
COMMIT. Incremented first, the counter stayed locked while the submit appended its event, wrote the
backup's row and committed — four round trips, each waiting for this process to get a core back, so
under load most submits queued on it. Where the backend allows (PostgreSQL, ``numbers_last``), the
event is appended first with a stand-in number, and the increment is the transaction's last
statement, which also writes the number into the event and writes the backup's row, number and all
(its only write of the submit: the row's indexes are maintained once): the next submitter waits for
that one statement and the COMMIT. Nobody else sees the stand-in (it never commits). On SQLite
writers are serialised anyway: the serial is allocated when the domain asks for it.
"""
from hgrip_kernel.envelope import utcnow
from hgrip_kernel.ports import UnitOfWork

from ..domain.backup import Backup
from ..domain.backup_number import format_backup_number
from .ports import Ports
from .writing import saved_view

STAND_IN_SERIAL = 1   # formats a valid number for the event's checks; replaced before the COMMIT


def submit_numbered(ports: Ports, uow: UnitOfWork, backup: Backup) -> tuple[str, dict]:
    """Submit ``backup`` (its rules checked by the domain) and save it numbered → (number, view)."""
    connection = uow.connection
    if not ports.backups.numbers_last(connection):
        number = backup.submit(utcnow(), lambda day: ports.backups.next_serial(connection, day))
        return number, saved_view(ports, uow, backup)
    days: list[str] = []

    def stand_in(day: str) -> int:
        days.append(day)
        return STAND_IN_SERIAL

    backup.submit(utcnow(), stand_in)
    [submitted] = uow.save(backup)
    # Only what the submit's events change beyond the backups row (a BackupSubmitted: nothing); the
    # row is number_last's, written once with its number (a stand-in would meet every other
    # submitter's on UNIQUE(backup_number)).
    ports.backups.write_backup(connection, backup, [submitted.event_type], number_later=True)
    serial, written, row = ports.backups.number_last(connection, backup, days[0], submitted.event_id)
    number = format_backup_number(days[0], serial)  # past the day's last serial: refused, all rolled back
    if written != number:  # pragma: no cover - one rule, in domain/backup_number.py, formats both
        raise RuntimeError(f"the database wrote {written} for serial {serial}, not {number}")
    backup.backup_number = number
    if row is None:  # no backups row to number (a draft always has one): every row written now
        row = ports.backups.write_backup(connection, backup)
    if row is None:  # pragma: no cover - write_backup answers its row unless number_later
        raise RuntimeError(f"no backups row written for {backup.backup_id}")
    # Reads nothing after the numbering: a draft has no filings (only numbered backups are cited).
    return number, ports.backups.written_view(connection, backup, row)
