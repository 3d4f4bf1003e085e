"""Stopping `make run` (the real `hgrip-run`) under a steady load of submissions, three ways:

(a) SIGTERM to its process group, as a service manager does, plus the one make relays to the runner;
(b) SIGTERM to each of its processes in turn: the runner restarts each, the load goes on;
(c) SIGKILL to the runner: its children notice (PR_SET_PDEATHSIG) and stop by themselves.

Each time every process logs its stop (services `service_stopped`, stand-ins "<name> stopped") in its
file under $HGRIP_VAR/log, none is SIGKILLed, none is left behind (no process with this platform's
HGRIP_VAR in its environment), and, once the platform runs again, every accepted submission has its
number and HGRG has it (harness.count).
"""
import json
import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from harness import Load, count

from hgrip_kernel.testing.platform import PLATFORM_SERVICES, Platform

pytestmark = pytest.mark.slow

STANDINS = ("smtp-sink", "sms-sink", "hgrg", "repositories")
PROCESSES = (*STANDINS, *PLATFORM_SERVICES, "gateway")
STOP_TIMEOUT = 10   # each process's grace period (the runner's default)


def _e2e_conftest():
    import importlib.util
    spec = importlib.util.spec_from_file_location("hgrip_e2e_conftest_stopping",
                                                  Path(__file__).resolve().parents[1] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RunnerPlatform(Platform):
    """The platform as `make run` runs it: one `hgrip-run`, its children in $HGRIP_VAR/log/<name>.log."""

    def __init__(self, env: dict, var: Path, runner_args: tuple[str, ...] = ()):
        super().__init__(env, var / "log")
        self.var, self.hgrg_url = var, env["HGRIP_HGRG_URL"]
        self.runner_args = runner_args
        self.runner: subprocess.Popen | None = None
        self.runs = 0

    def start_runner(self, timeout: float = 90) -> None:
        self.runs += 1
        self.out = self.var.parent / f"runner-{self.runs}.out"
        with open(self.out, "wb") as out:
            self.runner = subprocess.Popen(
                [str(self._bin / "hgrip-run"), "--no-legacy", "--stop-timeout", str(STOP_TIMEOUT), *self.runner_args],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)   # a process group of its own, as under a service manager
        deadline = time.monotonic() + timeout
        while "HGRIP is up" not in self.output():
            assert self.runner.poll() is None, f"hgrip-run exited {self.runner.returncode}:\n{self.output()}"
            assert time.monotonic() < deadline, f"not up after {timeout}s:\n{self.output()[-4000:]}"
            time.sleep(0.3)

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def pid(self, name: str) -> int:
        """The newest pid the runner gave child ``name``."""
        return int(re.findall(rf"started {re.escape(name)} \(pid (\d+)\)", self.output())[-1])

    def log_marks(self) -> dict[str, int]:
        return {name: self._log(name).stat().st_size if self._log(name).exists() else 0 for name in PROCESSES}

    def _log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def stop_lines(self, name: str, since: int) -> list[str]:
        """The lines in which ``name`` said it stopped, written after offset ``since`` of its log."""
        with open(self._log(name), "rb") as log:
            log.seek(since)
            lines = log.read().decode("utf-8", "replace").splitlines()
        if name in STANDINS:
            return [line for line in lines if line.endswith(f" {name} stopped")]
        events = [json.loads(line) for line in lines if line.startswith("{")]
        return [json.dumps(e) for e in events if e.get("event") == "service_stopped"]

    def said(self, name: str, event: str, since: int) -> bool:
        with open(self._log(name), "rb") as log:
            log.seek(since)
            return f'"event": "{event}"' in log.read().decode("utf-8", "replace")

    def forced_stops(self, since: dict[str, int]) -> list[str]:
        return [line for name in PLATFORM_SERVICES + ("gateway",) for line in self.stop_lines(name, since[name])
                if json.loads(line).get("forced")]

    def leftovers(self) -> list[str]:
        """Processes (other than this test) with this platform's HGRIP_VAR in their environment."""
        marker = f"HGRIP_VAR={self.env['HGRIP_VAR']}".encode() + b"\0"
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if marker in (entry / "environ").read_bytes():
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")[:120]
                    if state != "Z":
                        found.append(f"{entry.name}: {command!r}")
            except OSError:   # gone meanwhile, or not ours to read
                continue
        return found

    def wait_gone(self, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while (left := self.leftovers()) and time.monotonic() < deadline:
            time.sleep(0.2)
        return left

    def stop_runner(self) -> None:
        if self.runner is not None and self.runner.poll() is None:
            os.killpg(self.runner.pid, signal.SIGTERM)
            self.runner.wait(STOP_TIMEOUT * 3 + 10)


@pytest.fixture(scope="module")
def runner_platform(make_database, make_vhost, tmp_path_factory):
    root = tmp_path_factory.mktemp("stopping")
    env = _e2e_conftest().platform_env(make_database, make_vhost, root / "var")
    # The broker is shared: HGRG's feed user (global to a broker) gets a name of its own, removed after.
    env["HGRIP_FEED_USER"] = f"t-feed-{uuid.uuid4().hex[:8]}"
    running = RunnerPlatform(env, root / "var")
    yield running
    running.stop_runner()
    for left in running.leftovers():   # never leave a process consuming from the broker
        os.kill(int(left.split(":")[0]), signal.SIGKILL)
    subprocess.run([str(running._bin / "hgrip"), "downstream", "remove", env["HGRIP_FEED_USER"]], env=env,
                   capture_output=True, timeout=60)


def healthy(platform, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(platform.gateway_url + "/api/v1/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not healthy again within {timeout}s:\n{platform.output()[-3000:]}")


def assert_every_process_stopped_cleanly(platform, marks, figures_note=""):
    silent = [name for name in PROCESSES if not platform.stop_lines(name, marks[name])]
    assert not silent, f"no stop logged by {silent}{figures_note}"
    assert platform.forced_stops(marks) == []
    assert "SIGKILL" not in platform.output(), platform.output()[-3000:]


def reckon(platform, load):
    load.stop()
    figures = count(platform, load, timeout=60)
    print(f"\n{figures.row()}  statuses {figures.statuses}")
    assert figures.accepted > 0 and figures.problems == [], figures.problems[:10]
    return figures


def test_sigterm_to_the_process_group_stops_every_process_gracefully(runner_platform):
    platform = runner_platform
    platform.start_runner()
    with Load(platform, clients=3) as load:
        load.wait_accepted(3)
        marks = platform.log_marks()
        began = time.monotonic()
        os.killpg(platform.runner.pid, signal.SIGTERM)
        time.sleep(0.05)
        platform.runner.send_signal(signal.SIGTERM)   # what make does on SIGTERM: passes one to its child
        assert platform.runner.wait(STOP_TIMEOUT * 3) == 0, platform.output()[-3000:]
        stopped_in = time.monotonic() - began
        assert platform.wait_gone(5) == []
        assert_every_process_stopped_cleanly(platform, marks)
        assert "SIGTERM again: already stopping" in platform.output()
        print(f"\nstopped gracefully in {stopped_in:.1f}s")
        platform.start_runner()   # the submissions in flight finish against the platform restarted
        reckon(platform, load)
    platform.stop_runner()


def test_sigterm_to_each_process_in_turn_restarts_it_under_load(runner_platform):
    platform = runner_platform
    platform.start_runner()
    with Load(platform, clients=3) as load:
        load.wait_accepted(3)
        marks = platform.log_marks()
        for name in PROCESSES:
            old = platform.pid(name)
            os.kill(old, signal.SIGTERM)
            time.sleep(0.2)
            try:
                os.kill(old, signal.SIGTERM)   # a second one while stopping changes nothing
            except ProcessLookupError:   # a stand-in may be gone already
                pass
            deadline = time.monotonic() + STOP_TIMEOUT + 10
            while platform.pid(name) == old:
                assert time.monotonic() < deadline, f"{name} not restarted:\n{platform.output()[-3000:]}"
                time.sleep(0.1)
            healthy(platform)
            assert f"{name} exited with code 0" in platform.output()
        assert_every_process_stopped_cleanly(platform, marks)
        assert all(platform.said(name, "service_already_stopping", marks[name])
                   for name in (*PLATFORM_SERVICES, "gateway"))
        load.wait_accepted(2)   # the load went on
        reckon(platform, load)
    marks = platform.log_marks()
    platform.stop_runner()
    assert platform.wait_gone(5) == []
    assert_every_process_stopped_cleanly(platform, marks)


def test_sigkill_to_the_runner_leaves_nothing_behind(runner_platform):
    platform = runner_platform
    platform.start_runner()
    with Load(platform, clients=3) as load:
        load.wait_accepted(3)
        marks = platform.log_marks()
        platform.runner.kill()
        platform.runner.wait(10)
        left = platform.wait_gone(STOP_TIMEOUT + 15)   # in order: gateway, services after 4 s, stand-ins after 8 s
        assert left == [], f"orphans: {left}"
        assert_every_process_stopped_cleanly(platform, marks)
        platform.start_runner()
        reckon(platform, load)
    platform.stop_runner()
    assert platform.wait_gone(5) == []
