"""RabbitMQ restarted mid-load, and down for 30 s: nothing lost, nothing doubled, 503s meanwhile."""
import time

import pytest
from harness import Load, count

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 30


def report(name, figures):
    print(f"\nFAULT {name}: {figures.row()} | statuses {figures.statuses}")


def test_broker_restarted_mid_load(fault_platform):
    rabbit = fault_platform.rabbit
    with Load(fault_platform) as load:
        load.wait_accepted(8)
        load.mark("fault")
        rabbit.restart_app()
        back = load.mark("back")
        load.wait_accepted(8, timeout=90)
    figures = count(fault_platform, load, recover_since=back)
    report("broker restarted", figures)
    assert figures.problems == []


def test_broker_down_30s(fault_platform):
    rabbit = fault_platform.rabbit
    with Load(fault_platform) as load:
        load.wait_accepted(8)
        load.mark("fault")
        rabbit.stop_app()
        time.sleep(OUTAGE_SECONDS)
        rabbit.start_app()
        back = load.mark("back")
        load.wait_accepted(8, timeout=90)
    figures = count(fault_platform, load, recover_since=back)
    report("broker down 30 s", figures)
    assert figures.problems == []
