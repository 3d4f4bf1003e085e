"""Every refusal of the registry-sync service: a stable code, an English and a Chinese message."""
from hgrip_kernel.errors import InvalidInput, NotFound


def sync_state_not_found(backup_number: str) -> NotFound:
    return NotFound("sync_state_not_found",
                    "No HGRG sync is known for this backup number.",
                    "未找到该备份编号的人遗系统同步记录。",
                    {"backup_number": backup_number})


def invalid_backup_number(backup_number) -> InvalidInput:
    return InvalidInput("invalid_backup_number",
                        "The backup number must be a non-empty string.",
                        "备份编号必须是非空字符串。",
                        {"backup_number": repr(backup_number)[:100]})
