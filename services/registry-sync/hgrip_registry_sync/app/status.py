"""What the RPCs answer about the push queues: one backup number's sync, and its owner changes."""
from ..domain import refusals
from .ports import Ports
from .views import owner_change_view, push_view, summary_view, sync_state_view


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


def pushes(ports: Ports, backup_number: object) -> dict:
    """What registry-sync did with one backup number, for the operator's console: the number's push
    (None when it was never requested: a draft, or a legacy number never re-pushed) and every owner
    change, each with its attempts, last error and times."""
    if not isinstance(backup_number, str) or not backup_number.strip():
        raise refusals.invalid_backup_number(backup_number)
    number = backup_number.strip()
    row = ports.rows.sync_state(number)
    return {"backup_number": number, "number": None if row is None else push_view(row),
            "owner_changes": [{**owner_change_view(change), **push_view(change)}
                              for change in ports.rows.owner_changes_of(number)]}


def summary(ports: Ports) -> dict:
    """HGRG synchronisation at a glance: pending and failing pushes (numbers and owner changes), the
    oldest still open and its age, the last successful push."""
    return summary_view(ports.rows.summary(), ports.clock())
