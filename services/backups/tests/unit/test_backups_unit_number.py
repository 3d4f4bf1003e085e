"""Backup number format: BF + Beijing date + 5-digit serial (plain Python)."""
from datetime import UTC, datetime, timedelta

import pytest

from hgrip_backups.domain.backup_number import PATTERN, beijing_day, format_backup_number
from hgrip_kernel.errors import ServiceUnavailable


@pytest.mark.parametrize("moment,day", [
    ("2023-06-28T16:30:00+00:00", "20230629"),   # after 16:00 UTC it is tomorrow in Beijing
    ("2023-06-28T15:59:59.999999+00:00", "20230628"),
    ("2023-06-28T16:00:00+00:00", "20230629"),
    ("2023-06-28T00:00:00+00:00", "20230628"),
    ("2023-12-31T16:00:00+00:00", "20240101"),
    ("2024-02-28T16:00:00+00:00", "20240229"),
    ("2023-06-29T00:30:00+08:00", "20230629"),   # already in Beijing time
    ("2023-06-28T12:30:00-04:00", "20230629"),   # 16:30 UTC
    ("2023-03-26T17:00:00+00:00", "20230327"),   # no daylight saving: always +8
])
def test_beijing_day(moment, day):
    assert beijing_day(datetime.fromisoformat(moment)) == day


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        beijing_day(datetime(2023, 6, 28, 16, 30))


def test_format():
    assert format_backup_number("20230628", 16036) == "BF2023062816036"  # the manual's example
    assert format_backup_number("20230629", 1) == "BF2023062900001"
    assert format_backup_number("20230629", 99_999) == "BF2023062999999"
    assert PATTERN.match(format_backup_number("20230629", 42))
    for day, serial in (("2023062", 1), ("2023-06-2", 1), ("20230629", 0)):
        with pytest.raises(ValueError):
            format_backup_number(day, serial)
    with pytest.raises(ServiceUnavailable) as caught:
        format_backup_number("20230629", 100_000)
    assert caught.value.code == "backup_numbers_exhausted"


def test_today_in_beijing_from_now():
    now = datetime.now(UTC)
    assert beijing_day(now) == (now + timedelta(hours=8)).strftime("%Y%m%d")
