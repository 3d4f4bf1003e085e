"""The backups read models as ``hgrip rebuild backups`` folds them from the backup streams, with the
rules the live writers use (read_models.backup_row/file_values/filing_row, legacy_store.imported_row).

Rebuilt: ``backups``, ``data_files``, ``filings`` (read model ``backups``) and ``legacy_backups``
(read model ``legacy_backups``). Left alone: see ``LEFT_ALONE``.
"""
from datetime import datetime

from hgrip_kernel.store.replay import Projections, ReadModel

from ..domain.backup import Backup
from ..domain.legacy import Registrant
from .legacy_store import claimed_values, imported_row
from .read_models import backup_row, file_values, filing_row, has_rows
from .tables import backups, data_files, filings, legacy_backups


def _fold_backup(stream_id: str, stream: list):
    """A backup's rows as the live writer leaves them. A file's ``position`` is the order of adding:
    the highest live position + 1 when the file's row was first written (write_backup)."""
    backup = Backup(stream_id)
    positions: dict[str, int] = {}
    for event in stream:
        backup.fold(event)
        if has_rows(backup) and positions.keys() != backup.files.keys():   # a file added or removed
            for gone in positions.keys() - backup.files.keys():
                del positions[gone]
            for file_id in backup.files:
                if file_id not in positions:
                    positions[file_id] = max(positions.values(), default=0) + 1
    if not has_rows(backup):
        return
    yield backups, {"id": backup.backup_id, **backup_row(backup)}
    for data_file in backup.files.values():
        yield data_files, {"id": data_file.id, "backup_id": backup.backup_id,
                           "position": positions[data_file.id], **file_values(data_file)}
    for number, filing in backup.filings.items():
        yield filings, filing_row(backup.backup_id, number, filing)


def _fold_legacy(stream_id: str, stream: list):
    """The claims' index row of an imported legacy backup, claimed or not."""
    row = None
    for event in stream:
        data = event.data
        if event.event_type == "LegacyBackupImported":
            row = imported_row(data["backup_id"], data["backup_number"], Registrant(**data["registrant"]),
                               datetime.fromisoformat(data["imported_at"]))
        elif event.event_type == "BackupClaimed" and row is not None:
            row.update(claimed_values(data["owner_id"], data["how"], datetime.fromisoformat(data["claimed_at"])))
    if row is not None:
        yield legacy_backups, row


LEFT_ALONE = {
    "events": "the event store itself: what every read model is rebuilt from",
    "outbox": "delivery state of published events, not a view of them",
    "inbox": "which peer events were applied (idempotence), not derived from this store",
    "backup_number_counters": "the last serial handed out per day: a counter that must never go back "
                              "(a number already handed out may belong to a backup being submitted)",
    "known_projects": "projects learnt from the projects service's events (not in this event store)",
    "members": "identity's accounts learnt from identity's events (not in this event store)",
    "member_institutions": "identity's institutions learnt from identity's events (not in this event store)",
    "member_units": "identity's units learnt from identity's events (not in this event store)",
}

PROJECTIONS = Projections(
    service="backups",
    read_models=(
        ReadModel("backups", (backups, data_files, filings), ("backup",), _fold_backup,
                  keys={"filings": ("filing_number", "backup_id")}),   # its UNIQUE constraint
        ReadModel("legacy_backups", (legacy_backups,), ("backup",), _fold_legacy),
    ),
    left_alone=LEFT_ALONE,
)
