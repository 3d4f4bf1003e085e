"""RabbitMQ restarted mid-load, and down for 30 s: nothing lost, nothing doubled, 503s meanwhile."""
import time

import pytest
from harness import survive

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 30


def test_broker_restarted_mid_load(fault_platform):
    figures = survive(fault_platform, "broker restarted", fault_platform.rabbit.restart_app)
    assert figures.problems == []


def test_broker_down_30s(fault_platform):
    rabbit = fault_platform.rabbit

    def down():
        rabbit.stop_app()
        try:
            time.sleep(OUTAGE_SECONDS)
        finally:
            rabbit.start_app()

    figures = survive(fault_platform, "broker down 30 s", down)
    assert figures.problems == []
    assert figures.statuses.get("503"), "requests during the outage were answered 503"
