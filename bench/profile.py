"""``make profile`` / ``python -m bench profile``: where each platform process spends its CPU while the
platform takes a steady rate of submissions.

Runs the platform as ``make bench`` does (bench/platform_load.py), submits backups at a steady
rate and meanwhile samples every platform process with py-spy (``record -f raw``: collapsed stacks,
idle threads left out, so the samples are CPU time). The raw profiles are kept (``--out``; open
them in speedscope or flamegraph.pl); the summary printed (and written to ``summary.md`` there) is
the text pasted into docs/performance.md, "Profiles".
"""
import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .platform_load import Running, Steady, _cpu_by_process
from .profile_summary import summarise
from .resources import scratch

ROOT = Path(__file__).resolve().parents[1]


def py_spy() -> str:
    found = Path(sys.executable).with_name("py-spy")
    if found.exists():
        return str(found)
    on_path = shutil.which("py-spy")
    if not on_path:
        raise SystemExit("py-spy is not installed (requirements.txt; make setup)")
    return on_path


def record(running: Running, ids: list[str], rate: float, out: Path) -> tuple[dict, int]:
    """Profiles of every platform process while ``ids`` are submitted at ``rate``; the CPU ms each
    process spent from the first submit until HGRG received every replied number, and the submissions
    replied."""
    seconds = len(ids) / rate
    spies = {key: subprocess.Popen([py_spy(), "record", "-p", str(process.pid), "-f", "raw", "--nolineno",
                                    "-d", str(int(seconds) + 2), "-o", str(out / f"{key}.txt")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for key, process in running.platform.processes.items()}
    time.sleep(1)  # py-spy attaches
    before = _cpu_by_process(running)
    steady = Steady(running, ids, rate)
    steady.run()
    steady.wait_received()
    after = _cpu_by_process(running)
    for key, spy in spies.items():
        _, err = spy.communicate(timeout=seconds + 60)
        if spy.returncode != 0:
            print(f"py-spy on {key} failed: {err.decode(errors='replace')[-500:]}", file=sys.stderr)
    if steady.failed:
        print(f"{len(steady.failed)} submits failed, e.g. {steady.failed[0]}", file=sys.stderr)
    return {key: after[key] - before[key] for key in after}, len(steady.replied)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=30.0, help="submissions per second (default 30)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the profile (default 20)")
    parser.add_argument("--top", type=int, default=6, help="entries per list (default 6)")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "profile", help="where the raw profiles go")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with scratch() as resources:
        running = Running(resources)
        try:
            ids = running.ready_backups(int(args.rate * args.seconds), "profile")
            cpu, submitted = record(running, ids, args.rate, args.out)
        finally:
            running.stop()
    summary = summarise({key: args.out / f"{key}.txt" for key in cpu}, cpu, submitted, args.top,
                        f"{args.rate:.0f} submissions/s for {args.seconds:.0f} s")
    (args.out / "summary.md").write_text(summary)
    print(summary)
    return 0
