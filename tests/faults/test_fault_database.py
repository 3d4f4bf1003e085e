"""PostgreSQL restarted mid-load (every pooled connection dies), and down for 30 s."""
import time

import pytest
from harness import Load, count

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 30


def report(name, figures):
    print(f"\nFAULT {name}: {figures.row()} | statuses {figures.statuses}")


def test_database_restarted_mid_load(fault_platform):
    pg = fault_platform.pg
    with Load(fault_platform) as load:
        load.wait_accepted(8)
        load.mark("fault")
        pg.restart()
        back = load.mark("back")
        load.wait_accepted(8, timeout=90)
    figures = count(fault_platform, load, recover_since=back)
    report("database restarted", figures)
    assert figures.problems == []


def test_database_down_30s(fault_platform):
    pg = fault_platform.pg
    with Load(fault_platform) as load:
        load.wait_accepted(8)
        load.mark("fault")
        pg.stop()
        try:
            time.sleep(OUTAGE_SECONDS)
        finally:
            pg.start()
        back = load.mark("back")
        load.wait_accepted(8, timeout=90)
    figures = count(fault_platform, load, recover_since=back)
    report("database down 30 s", figures)
    assert figures.problems == []
    assert figures.statuses.get("503"), "requests during the outage were answered 503"
