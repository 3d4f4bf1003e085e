"""bench/machine_cpu.py: each process's CPU time lands in its own group, the machine's servers by name."""
import subprocess
import sys
import time
from contextlib import closing

import psycopg2

from bench.machine_cpu import IDLE, LOAD, OTHER, MachineCpu, describe, summed
from bench.resources import PG_ADMIN

# Burns 0.4 s of CPU once told to (a line on stdin), says so, then waits to be killed.
BUSY_CHILD = ("import sys, time\nsys.stdin.readline()\nend = time.process_time() + 0.4\n"
              "while time.process_time() < end: pass\nprint('done', flush=True)\ntime.sleep(60)")


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_each_group_is_charged_with_its_own_cpu_time():
    child = subprocess.Popen([sys.executable, "-c", BUSY_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    # PostgreSQL: a backend counting in its own process (open across both snapshots: a process that
    # ends between them is not counted)
    with closing(psycopg2.connect(PG_ADMIN.replace("postgresql+psycopg2://", "postgresql://"))) as db, \
            db.cursor() as cursor:
        try:
            machine = MachineCpu({"named child": [child.pid]})
            before = machine.snapshot()
            child.stdin.write("go\n")
            child.stdin.flush()
            _burn(0.3)   # the load generator: this process
            cursor.execute("SELECT count(*) FROM generate_series(1, 3000000)")
            assert cursor.fetchone()[0] == 3_000_000
            assert child.stdout.readline().strip() == "done"
            costs = machine.per_request(before, machine.snapshot(), requests=2)
        finally:
            child.kill()
            child.wait()
    assert costs["named child"] >= 190, costs          # 400 ms over 2 requests
    assert costs[LOAD] >= 140, costs                    # 300 ms over 2 requests
    assert costs["PostgreSQL"] >= 25, costs             # the count took well over 50 ms
    assert 0.0 <= costs[IDLE] <= 1.0
    assert list(costs) == ["named child", "PostgreSQL", "RabbitMQ", LOAD, OTHER, IDLE]
    assert summed(costs) == sum(v for k, v in costs.items() if k != IDLE)


def test_the_description_lists_every_group_in_order_with_the_sum_and_idle_share():
    costs = {"gateway": 3.84, "PostgreSQL": 1.1, "RabbitMQ": 0.0, LOAD: 2.2, OTHER: 0.05, IDLE: 0.054}
    assert describe(costs) == ("gateway 3.8, PostgreSQL 1.1, RabbitMQ 0.0, load generator 2.2, other 0.1"
                               " = 7.2 ms; idle 5%")


def test_a_process_is_told_by_its_start_time_not_its_name():
    """A kernel worker renames itself with each work item: only its CPU between the snapshots counts;
    a later process with a reused pid counts whole."""
    machine = MachineCpu({})
    before = {"processes": {7: ("kworker/u8:0-writeback", 100, 5000.0), 8: ("postgres", 100, 900.0)},
              "machine": (1000.0, 2000.0)}
    after = {"processes": {7: ("kworker/u8:0-ext4-rsv-conversion", 100, 5040.0), 8: ("postgres", 350, 30.0)},
             "machine": (1100.0, 2400.0)}
    costs = machine.per_request(before, after, requests=10)
    assert costs[OTHER] == 4.0              # 40 ms over 10 requests, not its 5 s since boot
    assert costs["PostgreSQL"] == 3.0       # a new backend on a reused pid: its 30 ms whole
    assert costs[IDLE] == 0.25
