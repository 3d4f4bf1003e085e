"""The fault suite's fixtures: private servers (servers.py) and a platform running on them.

HGRIP_FAULT_KEEP=1 keeps the platform's logs (the path is printed) for a look after a failure.

``harness`` and ``servers`` are plain modules beside this file; the directory is put on sys.path so
the cases import them by name (pytest's importlib mode adds nothing to it).
"""
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import servers  # noqa: E402


def pytest_collection_modifyitems(items):
    """A case is a whole platform under load through a fault (a kill of each process in turn: six
    takeovers); on a busy machine one takes close to pytest.ini's 300 s meant for a single test."""
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.timeout(900))


def _e2e_launch():
    """tests/conftest.py's ``launch`` (the platform as the end-to-end tests start it)."""
    spec = importlib.util.spec_from_file_location("hgrip_e2e_conftest", HERE.parent / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.launch


@pytest.fixture(scope="session")
def private_servers():
    """(PrivatePostgres, PrivateRabbit), both running; destroyed at the end of the session."""
    reason = servers.unavailable_reason()
    if reason:
        pytest.skip(reason)
    servers.reap_orphans()
    pg = rabbit = None
    try:
        pg = servers.PrivatePostgres()
        pg.start()
        rabbit = servers.PrivateRabbit()
        rabbit.start()
        yield pg, rabbit
    finally:
        if rabbit is not None:
            rabbit.destroy()
        if pg is not None:
            pg.destroy()


@pytest.fixture(scope="module")
def fault_platform(private_servers, request):
    """The whole platform on the private servers, for one module of cases."""
    pg, rabbit = private_servers
    # Not under pytest's basetemp: other runs on this machine rotate it away, logs and all.
    var = Path(tempfile.mkdtemp(prefix="hgrip-faults-"))
    running = _e2e_launch()(pg.make_database, lambda: rabbit.make_vhost(), var)
    running.pg, running.rabbit = pg, rabbit
    failed_before = request.session.testsfailed
    yield running
    failed = request.session.testsfailed > failed_before
    if failed:   # where each process stands, hung or not, in its log before it stops
        running.dump_green_threads()
    running.stop_all()
    if os.environ.get("HGRIP_FAULT_KEEP") or failed:
        print(f"\nfault platform's logs kept in {var / 'logs'}")
        if failed:  # CI keeps only its output: what each process said last, beyond routine lines
            print(log_tails(var / "logs"))
            DIGESTS.append((request.node.name, log_digest(var / "logs")))
    else:
        shutil.rmtree(var, ignore_errors=True)


# A failed module's digest, printed again as the run's very last lines: a CI log may keep only its tail.
DIGESTS: list[tuple[str, str]] = []


def pytest_terminal_summary(terminalreporter):
    for module, digest in DIGESTS:
        terminalreporter.write_sep("-", f"fault digest of {module}")
        terminalreporter.write_line(digest)


def _telling(line: str) -> bool:
    """A warning or error, a line that is not JSON (a traceback), or a request that did not end "ok";
    not the green threads' stacks of a SIGUSR1 dump (``log_tails`` shows those apart)."""
    if '"green_thread' in line:
        return False
    if not line.startswith("{"):  # the stand-ins' access lines are not; a traceback's last line names it
        return any(word in line for word in ("Traceback", "Error", "Exception"))
    return any(f'"level": "{level}"' in line for level in ("warning", "error", "critical")) or (
        '"entrypoint_done"' in line and '"outcome": "ok"' not in line)


def log_tails(logs: Path, lines: int = 30) -> str:
    """The last ``lines`` telling lines of every process's log, for a failed case's report, then
    the green threads it logged on SIGUSR1 (``Platform.dump_green_threads``): each distinct stack once,
    with how many green threads stood there."""
    out = []
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(errors="replace").splitlines()
        kept = [line for line in text if _telling(line)]
        out.append(f"---- {log.name}: last {min(lines, len(kept))} of {len(kept)} warnings, errors, failed requests")
        out.extend(line[:400] for line in kept[-lines:])
        stacks = Counter(_field(line, "stack") for line in text if '"event": "green_thread"' in line)
        if stacks:
            out.append(f"---- {log.name}: its {sum(stacks.values())} green threads, innermost frame first")
            out.extend(f"{count} × {stack[:1500]}" for stack, count in stacks.most_common())
    return "\n".join(out)


def _field(line: str, key: str) -> str:
    try:
        return str(json.loads(line).get(key))
    except (ValueError, AttributeError):
        return line


def log_digest(logs: Path, width: int = 110) -> str:
    """One short line per process that said anything telling: how many such lines, and the last one's
    event and code (a JSON line) or text, in a few hundred bytes in all."""
    out = []
    for log in sorted(logs.glob("*.log")):
        kept = [line for line in log.read_text(errors="replace").splitlines() if _telling(line)]
        if kept:
            out.append(f"{log.stem}: {len(kept)}, last {_gist(kept[-1])}"[:width])
    return "\n".join(out) or "no process logged a warning, an error or a failed request"


def _gist(line: str) -> str:
    try:
        record = json.loads(line)
    except ValueError:
        return line.strip()
    if not isinstance(record, dict):
        return line.strip()
    keys = ("event", "code", "error", "method", "service", "exc_type", "outcome")
    return " ".join(str(record[key]) for key in keys if key in record)
