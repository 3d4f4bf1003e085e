"""Writing a backup, written once: a unit of work with retries on a lost race, and "save the
aggregate and its read-model row" in the same transaction."""
from collections.abc import Callable
from typing import Any, TypeVar

from hgrip_kernel.ids import canonical_id
from hgrip_kernel.ports import Request, UnitOfWork

from ..domain import refusals
from ..domain.backup import Backup, backup_stream_id
from .ports import Ports, Row

T = TypeVar("T")
WRITE_ATTEMPTS = 3    # reload-and-retry when another request changed the same backup first


def write(ports: Ports, request: Request, actor_id: Any, work: Callable[[UnitOfWork], T], *,
          causation_id: str | None = None) -> T:
    """Run ``work(uow)`` in a unit of work carrying the request's ids (``causation_id``: the event
    being consumed, if not the request's); on a lost race reload and run it again."""
    return ports.store.write(work, actor=canonical_id(actor_id) or actor_id, attempts=WRITE_ATTEMPTS,
                             correlation_id=request.correlation_id,
                             causation_id=causation_id or request.causation_id)


def save_backup(ports: Ports, uow: UnitOfWork, backup: Backup) -> Row | None:
    """The backup's new events and its read-model rows, in the unit of work's transaction; its
    ``backups`` row as stored, or None when nothing changed."""
    if not backup.pending:
        return None
    changed = [event.type for event in backup.pending]
    uow.save(backup)
    return ports.backups.write_backup(uow.connection, backup, changed)


def saved_view(ports: Ports, uow: UnitOfWork, backup: Backup) -> dict:
    """Save the backup (if it changed) and answer it as get_backup does (the row just written is
    not read back)."""
    row = save_backup(ports, uow, backup)
    if row is None:
        return backup_view(ports, uow.connection, backup.backup_id, backup.owner_id)
    return ports.backups.written_view(uow.connection, backup, row)


def backup_view(ports: Ports, connection: Any, backup_id: str | None, owner_id: str | None) -> dict:
    view = ports.backups.backup_view(connection, backup_id, owner_id) if backup_id else None
    if view is None:
        raise refusals.backup_not_found()
    return view


def owned(uow: UnitOfWork, actor_id: Any, backup_id: Any) -> Backup:
    """The actor's backup, loaded in the unit of work; anyone else's is not found."""
    backup_id, owner_id = canonical_id(backup_id), canonical_id(actor_id)
    backup = uow.load(Backup, backup_stream_id(backup_id)) if backup_id else None
    if backup is None or owner_id is None or backup.owner_id != owner_id:
        raise refusals.backup_not_found()
    return backup
