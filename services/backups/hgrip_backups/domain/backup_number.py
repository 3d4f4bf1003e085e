"""Backup numbers: ``BF`` + submission date in Beijing time ``YYYYMMDD`` + a 5-digit daily serial.

From the manual's one example ``BF2023062816036``. Beijing time is a fixed UTC+8 (China has had no
daylight saving since 1991), so no time-zone database is consulted. Serials come from a per-day
counter the caller owns (a database row in the submit transaction): this module only formats.
"""
import re
from datetime import datetime, timedelta, timezone

from . import refusals

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
PREFIX = "BF"
SERIAL_DIGITS = 5
MAX_SERIAL = 10 ** SERIAL_DIGITS - 1
PATTERN = re.compile(r"^BF\d{8}\d{5}$")


def beijing_day(moment: datetime) -> str:
    """``YYYYMMDD`` of an aware moment in Beijing time (2023-06-28T16:30Z → ``20230629``)."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(BEIJING).strftime("%Y%m%d")


def format_backup_number(day: str, serial: int) -> str:
    if not (len(day) == 8 and day.isdigit()):
        raise ValueError(f"not a YYYYMMDD day: {day!r}")
    if serial < 1:
        raise ValueError(f"serials start at 1, got {serial}")
    if serial > MAX_SERIAL:
        # Six digits would break the format every consumer (HGRG) parses: refuse instead.
        raise refusals.backup_numbers_exhausted(day)
    return f"{PREFIX}{day}{serial:0{SERIAL_DIGITS}d}"
