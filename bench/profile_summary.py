"""py-spy raw profiles (collapsed stacks: ``frame;frame;… count``, a frame is ``function (path)``) →
per process, the share of its CPU samples by library, by the platform's own code and by function.

- by library: where the CPU burns (the innermost frame's package: sqlalchemy, psycopg2, kombu…);
- platform code: which of our functions cause it (the innermost frame of an ``hgrip_*`` package,
  everything it calls included; stacks with none of ours are named after their outermost library,
  e.g. the eventlet hub or nameko's consumer);
- functions: the innermost frames themselves.

Samples whose innermost frame is the eventlet hub's poll are left out: that is a process waiting
for work (py-spy counts a thread as active while it is runnable or in some system calls; the
projects process, which spends ~0.1 ms per submission, shows mostly those). Each share is of the
remaining samples and is also shown as milliseconds of the process's CPU per submission.
"""
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*) \((?P<path>[^()]*)\)$")
OWN = "hgrip"
WAITING = ("Hub.do_poll", "eventlet")  # (function, library) of the hub waiting in epoll


def parse(text: str) -> Counter:
    """Collapsed stacks → {tuple of (function, path) frames: samples}."""
    stacks: Counter = Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for frame in stack.split(";"):
            found = FRAME.match(frame)
            frames.append((found["function"], found["path"]) if found else (frame, ""))
        stacks[tuple(frames)] += int(count)
    return stacks


def library(path: str) -> str:
    """``sqlalchemy/engine/base.py`` → sqlalchemy; our own code one level deeper (hgrip_kernel.store)."""
    parts = [p for p in path.replace(".py", "").split("/") if p and p != "__init__"]
    if not parts:
        return path or "?"
    if parts[0].startswith(OWN):
        return ".".join(parts[:2])
    return parts[0]


def own_frame(frames: tuple) -> str:
    for function, path in reversed(frames):
        if path.split("/", 1)[0].startswith(OWN):
            return f"{library(path)}:{function}"
    return f"(no platform frame: {library(frames[0][1])})" if frames else "?"


def waiting(frames: tuple) -> bool:
    function, path = frames[-1]
    return (function, library(path)) == WAITING


def shares(stacks: Counter) -> dict[str, Counter]:
    """Active samples (not waiting in the hub) by library, by platform code and by function."""
    by = {"library": Counter(), "platform code": Counter(), "function": Counter()}
    for frames, count in stacks.items():
        if waiting(frames):
            continue
        function, path = frames[-1]
        by["library"][library(path)] += count
        by["platform code"][own_frame(frames)] += count
        by["function"][f"{function} ({library(path)})"] += count
    return by


def _line(counter: Counter, active: int, ms: float, top: int) -> str:
    return ", ".join(f"{name} {count * 100 / active:.0f}% ({count * ms / active:.1f} ms)"
                     for name, count in counter.most_common(top))


def summarise(files: dict[str, Path], cpu_ms: dict[str, float], submitted: int, top: int, load: str) -> str:
    lines = [f"py-spy (100 samples/s per process) at {load}, {submitted} submissions replied. Per process: its CPU "
             "per submission (/proc, from the first submit until HGRG received the last number), then the "
             "shares of its active samples (ms: that share of its CPU per submission).", ""]
    total_ms = sum(cpu_ms.values()) / submitted if submitted else float("nan")
    for key in sorted(files, key=lambda k: -cpu_ms.get(k, 0)):
        path = files[key]
        stacks = parse(path.read_text()) if path.exists() else Counter()
        total = sum(stacks.values())
        by = shares(stacks)
        active = sum(by["library"].values())
        ms = cpu_ms.get(key, 0) / submitted if submitted else float("nan")
        lines.append(f"- **{key}** — {ms:.1f} ms CPU per submission; {total} samples, "
                     f"{(total - active) * 100 / total if total else 0:.0f}% of them waiting in the hub (left out)")
        if active:
            lines.extend(f"  - {name}: {_line(counter, active, ms, top)}" for name, counter in by.items())
    lines.append(f"- total over these processes: {total_ms:.1f} ms CPU per submission")
    return "\n".join(lines) + "\n"
