"""py-spy's collapsed stacks → shares by library, by our own code and by function."""
import subprocess
import sys
import textwrap
from collections import Counter

import pytest

from bench.profile import py_spy
from bench.profile_summary import library, parse, shares, summarise

RAW = textwrap.dedent("""\
    run (hgrip_kernel/cli/serve.py);append (hgrip_kernel/store/event_store.py);execute (sqlalchemy/engine/base.py) 60
    run (hgrip_kernel/cli/serve.py);handle (hgrip_backups/app/submit.py);dumps (json/__init__.py) 30
    run (eventlet/hubs/hub.py);drain_events (kombu/connection.py) 10
    run (eventlet/hubs/hub.py);Hub.wait (eventlet/hubs/poll.py);Hub.do_poll (eventlet/hubs/epolls.py) 400
    """)


def test_shares_by_library_our_code_and_function_leaving_the_waiting_hub_out():
    stacks = parse(RAW)
    assert sum(stacks.values()) == 500
    by = shares(stacks)
    assert by["library"] == Counter({"sqlalchemy": 60, "json": 30, "kombu": 10})
    assert by["platform code"] == Counter({"hgrip_kernel.store:append": 60, "hgrip_backups.app:handle": 30,
                                           "(no platform frame: eventlet)": 10})
    assert by["function"]["execute (sqlalchemy)"] == 60


def test_summary_in_milliseconds_of_the_cpu_per_submission(tmp_path):
    (tmp_path / "backups.txt").write_text(RAW)
    text = summarise({"backups": tmp_path / "backups.txt"}, {"backups": 1000.0}, 100, 2, "30/s")
    assert "**backups** — 10.0 ms CPU per submission; 500 samples, 80% of them waiting in the hub" in text
    assert "  - library: sqlalchemy 60% (6.0 ms), json 30% (3.0 ms)\n" in text
    assert "total over these processes: 10.0 ms" in text


def test_library_of_a_path():
    assert library("sqlalchemy/engine/base.py") == "sqlalchemy"
    assert library("hgrip_kernel/relay/__init__.py") == "hgrip_kernel.relay"
    assert library("socket.py") == "socket"


def test_summary_of_a_real_py_spy_profile(tmp_path):
    """py-spy samples a real process; its hottest function is found."""
    try:
        spy = py_spy()
    except SystemExit:
        pytest.skip("py-spy is not installed")
    script = "import json, time\nend = time.time() + 6\nwhile time.time() < end: json.dumps([1] * 500)\n"
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        out = tmp_path / "spin.txt"
        done = subprocess.run([spy, "record", "-p", str(child.pid), "-f", "raw", "--nolineno", "-d", "2",
                               "-o", str(out)], capture_output=True, timeout=60)
        if done.returncode != 0 and b"ermission" in done.stderr:
            pytest.skip("py-spy may not attach here (ptrace)")
        assert done.returncode == 0, done.stderr
    finally:
        child.kill()
        child.wait()
    text = summarise({"spin": out}, {"spin": 2000.0}, 100, 3, "a spin")
    assert "**spin** — 20.0 ms CPU per submission" in text
    assert "library: json " in text
