"""``make bench`` / ``python -m bench [names…]``: run benchmarks, print and write docs/performance.md."""
import argparse
import platform
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

from . import event_store, institution_list, platform_load, relay, replay, web_load  # noqa: E402
from .resources import scratch  # noqa: E402
from .spread import aggregate  # noqa: E402

BENCHMARKS = {"event_store": event_store.run, "relay": relay.run, "platform": platform_load.run,
              "institution_list": institution_list.run, "web_load": web_load.run, "replay": replay.run}
# Not part of `make bench` (platform has its rows): (c) alone, for work on it.
ONLY_ON_REQUEST = {"submissions": platform_load.run_submissions}
# Playwright's sync API starts once per process (web_load leaves its loop alone on purpose, see
# hgrip_kernel.testing.browser): that benchmark runs once, and takes the median of its page loads itself.
ONCE_PER_PROCESS = {"web_load"}
REPORT = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
KEPT = "\n## Profiles"  # from this heading on, docs/performance.md is `make profile`'s, pasted: kept as it is


NOTES = """
## Reading the numbers
- Every benchmark runs `--runs` times (default 3, each time on a fresh platform, databases and
  vhost): a figure is the median of the runs with the min–max in brackets; met is decided on the
  median (the majority of the runs' decisions, the same thing for one threshold and an odd number
  of runs). `make bench BENCH_ARGS="platform --runs 1"` runs a subset.
- (a) runs one client against one PostgreSQL, both sides committing one row per transaction; the
  store checks the envelope (the schema's rules, compiled once) and writes the event and its outbox
  row in one statement (a data-modifying CTE). It is measured on a fresh database and on a
  long-lived one (300 000 events and their published outbox rows, a CHECKPOINT each round so that
  full-page writes count). Event ids are time-ordered (UUIDv7): random ids made each append dirty a
  random leaf of the unique index, ~12 KB of WAL per append after a checkpoint instead of ~1.6 KB
  (`EXPLAIN (ANALYZE, BUFFERS, WAL)`; docs/kernel.md).
- (b) compares the relay (one transaction claims up to 500 outbox rows, publishes them all with
  confirms outstanding, marks the confirmed ones) with a publisher that waits for each confirm.
- (c) is the whole platform on this one machine: every service process, the gateway, PostgreSQL,
  RabbitMQ, the stand-ins and the load generator share its cores. The CPU row is what each platform
  process (the five services and the gateway) spent per submission, from /proc, including the work
  after the reply (relay, consumers, HGRG push), and their sum; its baseline is the same sum measured
  by this benchmark before issue 12 (commit 319344c; the halving target). CPU per submission is
  robust on a shared machine; the rates are not. The reads are timed before the submits and again
  after their work is done, and the baseline is the mean of the two, so a machine whose speed
  drifts during the run (a shared host) moves both sides of the ratio. `python -m bench submissions`
  runs the (c) rows alone (not part of `make bench`); `HGRIP_BENCH_PAUSE_DURING_SUBMITS=registry-sync,verification`
  stops those processes while the submits run, a diagnostic that measures the reply path alone
  (its rate row is then not judged). The third (c) row is a diagnostic of the first: what one read
  and one submission cost the whole machine while their phases ran (bench/machine_cpu.py: every
  process's CPU from /proc, grouped — the platform's processes, PostgreSQL and RabbitMQ by process
  name, the stand-ins, the load generator, and "other": the rest of the machine, kernel threads
  writing back files included), and the share of the cores left idle. With the cores busy in both
  phases, the rates' ratio is about the inverse of these costs' ratio.
- (d) is the delay a user cannot see but HGRG can: from the submit reply to HGRG recording the
  number, at steady offered rates. The load is open loop: each submit leaves on its schedule
  whatever earlier replies do, from up to 400 green threads ("sent late" counts those that left more
  than 100 ms after their slot: the load generator had no CPU, or 400 were waiting for replies, and
  the offered rate was not kept); "submit replies" is the time from send to reply. Every replied
  number must reach HGRG within 60 s of the last reply (those that do not are counted, as are failed
  submits, and the row is not met). At 80/s, above what (c) shows two cores can do, there is no
  target: the row shows what happens past the knee — submits queue (the submit replies' times and
  "all replied within" longer than the offered 10 s tell how far past), and whether every number
  still reaches HGRG. Below the knee, the path itself is a few tens of milliseconds.
  Scaling out (`make run RUN_ARGS="--scale backups=2 --scale registry-sync=2"` on more cores)
  raises the capacity; on two cores it cannot.
- (e) loads 100 000 backups by bulk COPY of the read-model rows (no events: the list reads only
  the read model) into a database migrated to head, then times a fixed mix of 16 list pages (both
  tabs, unit, name, PI, delegate name and username, number prefix, filing number, three sort
  orders, page 1 and page 500, legal person and unit administrator). Every page is three
  statements (page, count, filings); counting a tab's tens of thousands of matches is most of a
  page's time, and the slowest mix (each mix's p95 is printed) is a name search matching ~7 000
  backups, whose count reads every match. The RPC row adds the broker round trip, the actor's
  scope lookup, validation and serialisation. `docs/institution-views.md` has the queries and
  indexes.
- (e) export: the same 100 000 backups exported through a gateway started as its own process
  (`hgrip serve gateway`, checking the bench's signed token itself; backups and an identity stand-in
  answering for the account in the bench process), both
  tabs, as CSV and as XLSX; every file's rows are counted. The gateway asks backups for keyset
  batches of 1 000 rows and writes each as it arrives (CSV to the socket, XLSX into xlsxwriter's
  constant-memory temporary file, then streamed), so its memory holds one batch, not the file: the
  measure is its peak RSS (`VmHWM`, reset after a warm-up export) minus its RSS before.
- (f) loads the built web application (`web/dist`) in Debian's Chromium against the whole platform,
  each time in a fresh browser context (empty cache). Bytes are counted from Playwright's response
  events: the gzip -6 size of every body received, with the bytes actually on the wire beside it
  (the build gzips pages and assets, the gateway JSON of 1 KiB or more). "Interactive" is the first page of the file
  list drawn (10 rows), its total shown and 提交 enabled; the baseline replays the page's own API GETs
  one after another over one keep-alive connection, so the ratio is what the browser adds
  (loading and running the code, rendering) to the calls it cannot avoid. It runs once per `make
  bench` (Playwright's sync API starts once per process), its time the median of five page loads.
- (g) writes 100 000 backup events (per backup: created, three files added, one verified, submitted,
  every third filed) into a migrated backups database, then times `hgrip rebuild backups` (its read
  model `backups`: backups, data_files, filings) as the events per second of its one transaction:
  once with the rows already right (a check or a repair: folded, compared, nothing written) and once
  with the tables emptied first (a new read model: every row inserted by COPY; the indexes that back
  no constraint, the bigram GIN indexes among them, and the foreign keys between its tables are dropped
  for the fill and made again in the same transaction, each foreign key checking every row in one
  query; primary keys and unique constraints are checked row by row). The
  baseline streams the same events with the same server-side cursor and does nothing else: the
  ratio is what folding and writing cost on top of reading (`docs/operations.md`, "Rebuilding read models").
"""


def render(rows: list[dict], runs: int = 1) -> str:
    spread = (f"Every benchmark ran {runs} times: each figure is the median of the runs with their min–max in "
              "brackets (one figure when all runs agree), and met/not met is decided on the median (the "
              "majority of the runs' decisions; a run that lost a number is not met). " if runs > 1 else "")
    lines = ["# Performance", "",
             f"Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
             f"{platform.node()} ({platform.processor() or platform.machine()}, Python {platform.python_version()}). "
             + spread + "Each row's baseline was measured in the same run on the same machine; compare ratios, "
             "not absolute rates (a shared machine drifts).", "",
             "| what | measured | baseline | ratio | target | met |", "|---|---|---|---|---|---|"]
    for row in rows:
        ratio = f"{row['ratio']:.2f}" if isinstance(row.get("ratio"), float) else row.get("ratio", "—")
        met = {True: "yes", False: "**no**", None: "—"}[row.get("met")]
        lines.append(f"| {row['what']} | {row['measured']} | {row['baseline']} | {ratio} | {row['target']} | {met} |")
    return "\n".join(lines) + "\n" + NOTES


def kept(previous: str) -> str:
    return previous[previous.index(KEPT):] if KEPT in previous else ""


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["profile"]:  # not a benchmark: `make profile`, never part of `make bench`
        from .profile import main as profile
        return profile(argv[1:])
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("names", nargs="*", choices=[[], *BENCHMARKS, *ONLY_ON_REQUEST],
                        help="benchmarks to run (default all; submissions: (c) alone, never by default)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    parser.add_argument("--runs", type=int, default=3, help="runs of each benchmark, aggregated row by row (default 3)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    rows = []
    with scratch() as resources:
        for name in args.names or BENCHMARKS:
            runs = []
            times = 1 if name in ONCE_PER_PROCESS else args.runs
            for run in range(1, times + 1):
                print(f"running {name} ({run} of {times}) …", flush=True)
                runs.append({**BENCHMARKS, **ONLY_ON_REQUEST}[name](resources))
                for row in runs[-1]:  # progress: each run's rows as they come
                    print(f"  {row['what']}: {row['measured']}", flush=True)
            rows.extend(aggregate(runs))
    report = render(rows, args.runs)
    print(report)
    if not args.no_write:
        REPORT.write_text(report + kept(REPORT.read_text() if REPORT.exists() else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
