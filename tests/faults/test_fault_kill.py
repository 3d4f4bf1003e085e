"""kill -9 of each process in turn mid-load, restarted as `make run`'s runner restarts a dead child.

The runner (hgrip_standins.runner.supervisor) restarts a child that exits after a back-off of 1 s;
here the test plays that part on the test platform's processes, with the same delay.
"""
import json
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


def test_sigusr1_logs_every_green_thread_and_stops_nothing(fault_platform):
    """What a hung process is doing, without stopping it: SIGUSR1 makes each `hgrip serve` log every
    green thread's stack (its consumer's, its workers', its relay's), and the load goes on."""
    logs = {name: fault_platform.log_dir / f"{name}.log" for name in PROCESSES}
    before = {name: path.stat().st_size for name, path in logs.items()}
    with Load(fault_platform) as load:
        load.wait_accepted(4)
        fault_platform.dump_green_threads()
        load.wait_accepted(4, timeout=60)
    for name, path in logs.items():
        assert fault_platform.processes[name].poll() is None, f"{name} exited on SIGUSR1"
        with path.open(errors="replace") as log:
            log.seek(before[name])
            said = [json.loads(line) for line in log if line.startswith("{") and '"green_thread' in line]
        stacks = [entry["stack"] for entry in said if entry["event"] == "green_thread"]
        [dumped] = [entry for entry in said if entry["event"] == "green_threads_dumped"]
        assert dumped["count"] == len(stacks) > 1, name
        assert any("kombu/" in stack for stack in stacks), name   # the broker consumer's green thread
