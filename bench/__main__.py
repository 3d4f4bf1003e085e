"""``make bench`` / ``python -m bench [names…]``: run benchmarks, print and write docs/performance.md."""
import argparse
import platform
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

from . import event_store, platform_load, relay  # noqa: E402
from .resources import scratch  # noqa: E402

BENCHMARKS = {"event_store": event_store.run, "relay": relay.run, "platform": platform_load.run}
REPORT = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def render(rows: list[dict]) -> str:
    lines = ["# Performance", "",
             f"Measured by `make bench` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
             f"{platform.node()} ({platform.processor() or platform.machine()}, Python {platform.python_version()}). "
             "Each row's baseline was measured in the same run on the same machine; compare ratios, "
             "not absolute rates (a shared machine drifts).", "",
             "| what | measured | baseline | ratio | target | met |", "|---|---|---|---|---|---|"]
    for row in rows:
        ratio = f"{row['ratio']:.2f}" if isinstance(row.get("ratio"), float) else row.get("ratio", "—")
        met = {True: "yes", False: "**no**", None: "—"}[row.get("met")]
        lines.append(f"| {row['what']} | {row['measured']} | {row['baseline']} | {ratio} | {row['target']} | {met} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("names", nargs="*", choices=[[], *BENCHMARKS], help="benchmarks to run (default all)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args(argv)
    rows = []
    with scratch() as resources:
        for name in args.names or BENCHMARKS:
            print(f"running {name} …", flush=True)
            rows.extend(BENCHMARKS[name](resources))
    report = render(rows)
    print(report)
    if not args.no_write:
        REPORT.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
