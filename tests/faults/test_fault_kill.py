"""kill -9 of each process in turn mid-load, restarted as `make run`'s runner restarts a dead child.

The runner (hgrip_standins.runner.supervisor) restarts a child that exits after a back-off of 1 s;
here the test plays that part on the test platform's processes, with the same delay.
"""
import signal
import time

import pytest
from harness import Load, count

pytestmark = pytest.mark.slow

PROCESSES = ("gateway", "identity", "projects", "backups", "verification", "registry-sync")
RUNNER_BACKOFF = 1.0   # the supervisor's backoff_initial


def test_each_process_killed_in_turn(fault_platform):
    recoveries = {}
    with Load(fault_platform) as load:
        load.wait_accepted(6)
        for name in PROCESSES:
            load.mark(f"kill {name}")
            fault_platform.stop(name, sig=signal.SIGKILL)   # no goodbye: mid-request, mid-relay
            time.sleep(RUNNER_BACKOFF)
            fault_platform.start(name)
            back = load.mark(f"{name} back")
            recoveries[name] = load.recovery_seconds(back, timeout=90)
            load.wait_accepted(4, timeout=90)
    figures = count(fault_platform, load)
    figures.recover_seconds = max(recoveries.values())
    print(f"\nFAULT kill -9 each: {figures.row()} | recoveries {recoveries} | statuses {figures.statuses}")
    assert figures.problems == []
