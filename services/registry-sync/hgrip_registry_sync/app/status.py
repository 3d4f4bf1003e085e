"""What the RPCs answer about the push queues: one backup number's sync, and its owner changes."""
from ..domain import refusals
from .ports import Ports
from .views import owner_change_view, sync_state_view


def sync_state(ports: Ports, backup_number: str) -> dict:
    """The sync state as ``get_sync_state`` returns it (docs/backup-lifecycle.md), or not found."""
    row = ports.rows.sync_state(backup_number)
    if row is None:
        raise refusals.sync_state_not_found(backup_number)
    return sync_state_view(row)


def owner_changes(ports: Ports, backup_number: object) -> list[dict]:
    """Every owner change of a backup number pushed (or to push) to HGRG, by sequence; [] if none."""
    if not isinstance(backup_number, str) or not backup_number.strip():
        raise refusals.invalid_backup_number(backup_number)
    return [owner_change_view(row) for row in ports.rows.owner_changes_of(backup_number.strip())]
