"""The whole machine's CPU time during a phase of a benchmark, by who spent it, per request.

(c) compares two rates on the same two cores: when both phases keep the cores busy, the ratio of
the rates is the inverse ratio of what one request costs the machine, and that cost is not only the
platform's processes: PostgreSQL, RabbitMQ, the stand-ins and the load generator (this process) run
on the same cores. Each group's CPU time (user + system, from /proc) over the phase, divided by the
requests made, and the share of the cores left idle (from /proc/stat: a phase that leaves them idle
is bounded by waiting, not by CPU).
"""
import os
from pathlib import Path

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
SERVICES = ("PostgreSQL", "RabbitMQ")
# The process names (comm) of the machine's servers: PostgreSQL's backends and workers, and the
# Erlang VM with its helpers.
SERVICE_NAMES = {"postgres": "PostgreSQL", "beam.smp": "RabbitMQ", "erl_child_setup": "RabbitMQ",
                 "epmd": "RabbitMQ", "inet_gethost": "RabbitMQ"}
LOAD, OTHER, IDLE = "load generator", "other", "idle"


def process_stat(pid: int | str) -> tuple[str, int, float] | None:
    """(comm, start time, CPU ms) of a process, None if it is gone. The start time tells a process
    from a later one with the same pid (a kernel worker's comm changes with its work, so not that)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()   # from field 3 (state) on: utime, stime are 14, 15
    comm = text[text.index("(") + 1:text.rindex(")")]
    return comm, int(fields[19]), (int(fields[11]) + int(fields[12])) * TICK_MS


def _machine() -> tuple[float, float]:
    """(idle ms, all ms) summed over the cores since boot."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (ticks[3] + ticks[4]) * TICK_MS, sum(ticks[:8]) * TICK_MS


class MachineCpu:
    """Snapshots of every process's CPU time, grouped: ``named`` (group → pids: the platform's
    processes, the stand-ins), PostgreSQL, RabbitMQ, the load generator (this process), other."""

    def __init__(self, named: dict[str, list[int]]):
        self.groups = [*named, *SERVICES, LOAD, OTHER]
        self._group_of = {pid: group for group, pids in named.items() for pid in pids}
        self._group_of[os.getpid()] = LOAD

    def snapshot(self) -> dict:
        processes = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                found = process_stat(entry)
                if found is not None:
                    processes[int(entry)] = found
        return {"processes": processes, "machine": _machine()}

    def per_request(self, before: dict, after: dict, requests: int) -> dict[str, float]:
        """CPU ms per request of each group between two snapshots (a process that started between
        them counts whole, one that ended is lost), and ``idle``: the cores' idle share (0–1)."""
        spent = dict.fromkeys(self.groups, 0.0)
        for pid, (comm, started, ms) in after["processes"].items():
            earlier = before["processes"].get(pid)
            used = ms - earlier[2] if earlier and earlier[1] == started else ms
            group = self._group_of.get(pid) or SERVICE_NAMES.get(comm, OTHER)
            spent[group] += used
        idle = after["machine"][0] - before["machine"][0]
        total = after["machine"][1] - before["machine"][1]
        costs = {group: ms / requests for group, ms in spent.items()}
        costs[IDLE] = idle / total if total else 0.0
        return costs


def describe(costs: dict[str, float]) -> str:
    """``backups 4.0, …, other 0.1 = 13.2 ms; idle 5%``: every group, always in the same order (the
    runs' texts are aggregated figure by figure)."""
    groups = [group for group in costs if group != IDLE]
    listed = ", ".join(f"{group} {costs[group]:.1f}" for group in groups)
    return f"{listed} = {summed(costs):.1f} ms; idle {100 * costs[IDLE]:.0f}%"


def summed(costs: dict[str, float]) -> float:
    """The groups' CPU ms per request added up (idle left out)."""
    return sum(ms for group, ms in costs.items() if group != IDLE)
