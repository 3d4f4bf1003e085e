"""deploy/docker/entrypoint.sh, PID 1 of every service image, run by Debian's sh (dash, as in the images)
with a stand-in `hgrip` that records what it was asked to do; the real `python` decides whether the
service has migrations, from the installed packages' entry points."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENTRYPOINT = Path(__file__).resolve().parents[2] / "deploy" / "docker" / "entrypoint.sh"

FAKE_HGRIP = """#!/bin/sh
log="$FAKE_LOG"
case "$1" in
  migrate)
    echo "migrate $2" >> "$log"
    trap 'echo "migration stopped" >> "$log"; exit 143' TERM
    i=0
    while [ "$i" -lt "$FAKE_MIGRATION_TICKS" ]; do sleep 0.1; i=$((i + 1)); done
    exit "$FAKE_MIGRATION_STATUS"
    ;;
  serve)
    shift
    echo "serve $* pid $$" >> "$log"
    ;;
esac
"""


def start(tmp_path, service, ticks=0, status=0):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "hgrip").write_text(FAKE_HGRIP)
    (bin_dir / "hgrip").chmod(0o755)
    log = tmp_path / "log"
    env = {**os.environ, "SERVICE": service, "FAKE_LOG": str(log), "FAKE_MIGRATION_TICKS": str(ticks),
           "FAKE_MIGRATION_STATUS": str(status),
           "PATH": os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]])}
    process = subprocess.Popen(["sh", str(ENTRYPOINT), "--flag"], env=env)
    return process, log


def lines(log):
    return log.read_text().splitlines() if log.exists() else []


def test_it_migrates_then_becomes_the_service(tmp_path):
    process, log = start(tmp_path, "backups")
    assert process.wait(timeout=30) == 0
    assert lines(log) == ["migrate backups", f"serve backups --flag pid {process.pid}"]  # exec: same process


def test_a_service_without_a_database_is_served_at_once(tmp_path):
    process, log = start(tmp_path, "gateway")
    assert process.wait(timeout=30) == 0
    assert lines(log) == [f"serve gateway --flag pid {process.pid}"]


def test_a_failed_migration_fails_the_container_and_starts_nothing(tmp_path):
    process, log = start(tmp_path, "backups", status=3)
    assert process.wait(timeout=30) == 3
    assert lines(log) == ["migrate backups"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_during_the_migration_reaches_it_and_starts_nothing(tmp_path, sig):
    process, log = start(tmp_path, "backups", ticks=600)  # a 60 s migration
    deadline = time.monotonic() + 30
    while lines(log) != ["migrate backups"]:
        assert time.monotonic() < deadline and process.poll() is None, lines(log)
        time.sleep(0.05)
    process.send_signal(sig)
    assert process.wait(timeout=10) == 143
    assert lines(log) == ["migrate backups", "migration stopped"]
