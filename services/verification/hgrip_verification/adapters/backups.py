"""The ``Backups`` port over backups' RPC ``get_backup_facts``."""
from collections.abc import Mapping
from typing import Any


class BackupsFacts:
    def __init__(self, proxy: Any):
        self.proxy = proxy

    def facts(self, backup_id: str) -> Mapping[str, Any] | None:
        return self.proxy.get_backup_facts(backup_id)   # backups away: raised, the event is retried
