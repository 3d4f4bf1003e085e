"""What registry-sync needs of ``backups.BackupSubmitted`` v1 (docs/backup-lifecycle.md).

The kernel's consumer checks every delivered payload against the backups contract
(``hgrip_kernel.contracts.backups.BackupSubmittedV1``, closed) before the handler runs, and sends a
malformed one straight to the dead letters: nothing is recorded and nothing reaches HGRG. So the
handler only takes the two fields it keys the push by (checking the payload a second time here
cost a fifth of the handler's CPU); the payload is forwarded to HGRG as published.
"""
from hgrip_kernel.errors import InvalidInput


def check_backup_submitted(data: dict) -> tuple[str, str]:
    """(backup_number, backup_id) of a payload the contract let through; InvalidInput if either is missing."""
    number, backup_id = data.get("backup_number"), data.get("backup_id")
    if not isinstance(number, str) or not number or not isinstance(backup_id, str) or not backup_id:
        raise InvalidInput("invalid_backup_submitted", "The BackupSubmitted payload is invalid.",
                           "备份提交事件内容无效。", {"backup_number": repr(number)[:40]})
    return number, backup_id
