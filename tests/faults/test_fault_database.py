"""PostgreSQL restarted mid-load (every pooled connection dies), and down for 30 s."""
import time

import pytest
from harness import survive

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 30


def test_database_restarted_mid_load(fault_platform):
    figures = survive(fault_platform, "database restarted", fault_platform.pg.restart)
    assert figures.problems == []


def test_database_down_30s(fault_platform):
    pg = fault_platform.pg

    def down():
        pg.stop()
        try:
            time.sleep(OUTAGE_SECONDS)
        finally:
            pg.start()

    figures = survive(fault_platform, "database down 30 s", down)
    assert figures.problems == []
    assert figures.statuses.get("503"), "requests during the outage were answered 503"
