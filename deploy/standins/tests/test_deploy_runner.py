"""`hgrip-run` against fake commands: start order, prefixed output, restart with backoff, stopping."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

FAKE = str(Path(__file__).with_name("fakes") / "fake_child.py")
SECRET = "runner-test-secret"


def fake(mode, name, *args):
    return [sys.executable, FAKE, mode, name, *args]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


class RunnerProcess:
    def __init__(self, tmp_path: Path, plan: dict, port: int, *extra, env: dict | None = None):
        self.events_file, self.port = tmp_path / "events.log", port
        plan_file = tmp_path / "plan.json"
        plan_file.write_text(json.dumps(plan))
        env = {**os.environ, "HGRIP_VAR": str(tmp_path / "var"), "HGRIP_GATEWAY_ADDRESS": f"127.0.0.1:{port}",
               "HGRIP_HGRG_SHARED_SECRET": SECRET, "FAKE_EVENTS": str(self.events_file), "PYTHONUNBUFFERED": "1",
               **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hgrip_standins.runner", "--plan", str(plan_file), "--stop-timeout", "2",
             "--health-timeout", "30", *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)   # a process group of its own, as `make run` under a service manager
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in iter(self.process.stdout.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def events(self) -> list[tuple[str, str, int]]:
        if not self.events_file.exists():
            return []
        return [(e, n, int(p)) for e, n, p in (line.split() for line in self.events_file.read_text().splitlines())]

    def wait_for(self, predicate, timeout=60, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{what} not met; output:\n" + "\n".join(self.lines))

    def output(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def kill_leftovers():
    runners = []
    yield runners.append
    for runner in runners:
        if runner.process.poll() is None:
            runner.process.kill()
        for _, _, pid in runner.events():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_runner_starts_restarts_and_stops(tmp_path, free_port, kill_leftovers):
    plan = {"standins": [{"name": "fake-sink", "argv": fake("serve", "fake-sink")}],
            "migrations": [fake("oneshot", "migrate", "0")],
            "services": [{"name": "svc-a", "argv": fake("serve", "svc-a")},
                         {"name": "crasher", "argv": fake("crash", "crasher")},
                         {"name": "stubborn", "argv": fake("stubborn", "stubborn")},
                         {"name": "gateway", "argv": fake("gateway", "gateway")}]}
    runner = RunnerProcess(tmp_path, plan, free_port())
    kill_leftovers(runner)

    runner.wait_for(lambda: "Ctrl-C stops everything." in runner.output(), what="summary printed")
    out = runner.output()
    assert re.search(r"^svc-a\s+\| svc-a ready$", out, re.M), out       # output prefixed with the child's name
    assert re.search(r"^migrate\s+\| migrate ran$", out, re.M), out
    assert "http://127.0.0.1:" in out and "zhangxiaohan" in out and "张晓寒" in out   # locations and accounts

    # Stand-ins are launched first, then the migration runs to its end, then the services start.
    assert out.index("started fake-sink") < out.index("migrate ran") < out.index("started svc-a")
    names = [n for e, n, _ in runner.events() if e == "start"]
    assert names.index("migrate") < names.index("svc-a")
    puts = [e for e, _, _ in runner.events() if e.startswith("put:")]
    assert puts and all(e.startswith("put:signed:") for e in puts)             # provisioned, signed
    assert any("/api/v1/hgrg/accounts/zhangxiaohan" in e for e in puts)
    # One real login, after provisioning, as the operator (a natural person's first login would attach
    # their legacy backups before the person trying the demo gets to see it happen).
    events = [e for e, _, _ in runner.events()]
    assert [e for e in events if e.startswith("login:")] == ["login:operator:200"]
    assert max(i for i, e in enumerate(events) if e.startswith("put:")) < events.index("login:operator:200")
    # The banner: the web address first, then the two inbox pages, and only now that a login worked.
    banner = out[out.index("HGRIP is up: open http://127.0.0.1:"):]
    assert "checked by logging in" in banner
    lines = [line.split("| ", 1)[1] for line in banner.splitlines() if "| " in line]
    rows = [line for line in lines if line.startswith(("web application", "mail inbox", "SMS inbox", "HTTP API"))]
    assert [row.split()[0] for row in rows] == ["web", "mail", "SMS", "HTTP"], rows
    assert rows[0].endswith(f":{runner.port}/") and rows[1].endswith(":8027/") and rows[2].endswith(":8026/")

    # The crasher is restarted, waiting longer each time.
    runner.wait_for(lambda: names_started(runner, "crasher") >= 3, timeout=30, what="crasher restarted twice")
    out = runner.output()
    assert "crasher exited with code 3" in out
    delays = [float(d) for d in re.findall(r"crasher exited with code 3 after [\d.]+s; restarting in ([\d.]+)s", out)]
    assert delays[:2] == [1.0, 2.0], delays

    runner.process.send_signal(signal.SIGTERM)
    assert runner.process.wait(timeout=30) == 0
    events = runner.events()
    graceful = [n for e, n, _ in events if e == "graceful-stop"]
    assert set(graceful) == {"svc-a", "gateway", "fake-sink"}
    assert graceful[-1] == "fake-sink"                                          # services stop before stand-ins
    assert ("ignored-sigterm", "stubborn") in [(e, n) for e, n, _ in events]
    assert "SIGKILL" in runner.output()
    assert not [pid for _, _, pid in events if alive(pid)]                      # nothing left behind


GATEWAY_ONLY = {"services": [{"name": "gateway", "argv": fake("gateway", "gateway")}]}


@pytest.mark.slow
@pytest.mark.parametrize("status, attempts", [(503, "several"), (401, "one")])
def test_runner_says_so_when_the_demo_accounts_cannot_log_in(tmp_path, free_port, kill_leftovers, status, attempts):
    runner = RunnerProcess(tmp_path, GATEWAY_ONLY, free_port(), "--login-timeout", "4",
                           env={"FAKE_LOGIN_STATUS": str(status)})
    kill_leftovers(runner)
    runner.wait_for(lambda: "Ctrl-C stops everything." in runner.output(), what="summary printed")
    out = runner.output()
    assert "HGRIP is up" not in out
    assert "but the demo accounts cannot log in: operator: " in out and f"HTTP {status}" in out
    assert "provisioned, but the login failed" in out
    logins = [e for e, _, _ in runner.events() if e.startswith("login:")]
    if attempts == "one":   # a refused password is not tried again: each try counts towards the lockout
        assert logins == [f"login:operator:{status}"]
    else:                   # a gateway still starting is asked again, within the bound
        assert 2 <= len(logins) <= 4 and "no successful login within 4s" in out
    runner.process.send_signal(signal.SIGTERM)
    assert runner.process.wait(timeout=30) == 0


def test_summary_claims_only_what_was_checked():
    from hgrip_standins.runner.app import Status
    from hgrip_standins.runner.plan import child_environment
    from hgrip_standins.runner.summary import headline, inbox_urls, render

    env = child_environment({"HGRIP_VAR": "/v"})
    assert inbox_urls(env) == ("http://127.0.0.1:8027/", "http://127.0.0.1:8026/")
    assert inbox_urls({"HGRIP_MAIL_WEB_ADDRESS": "0.0.0.0:9027", "HGRIP_SMS_ADDRESS": ":9026"}) \
        == ("http://127.0.0.1:9027/", "http://127.0.0.1:9026/")
    assert headline(env, Status(healthy=True, provisioned=True, logged_in=True)) \
        == "HGRIP is up: open http://127.0.0.1:8000/ and log in with a demo account below."
    assert headline(env, Status(healthy=True)) == "HGRIP is up: http://127.0.0.1:8000/"   # --no-provision
    assert headline(env, Status(healthy=False, problem="x")).startswith("!! HGRIP is NOT ready: x")
    assert "NOT provisioned: boom" in headline(env, Status(healthy=True, provisioned=False, problem="boom"))
    text = render(env, [], Status(healthy=True))
    first_rows = [line.split()[0] for line in text.splitlines()[5:8]]
    assert first_rows == ["web", "mail", "SMS"], text


def names_started(runner, name):
    return [n for e, n, _ in runner.events() if e == "start"].count(name)


@pytest.mark.slow
def test_runner_stops_when_migration_fails(tmp_path, free_port, kill_leftovers):
    plan = {"standins": [{"name": "fake-sink", "argv": fake("serve", "fake-sink")}],
            "migrations": [fake("oneshot", "migrate", "2")],
            "services": [{"name": "svc-a", "argv": fake("serve", "svc-a")}]}
    runner = RunnerProcess(tmp_path, plan, free_port(), "--no-provision")
    kill_leftovers(runner)
    assert runner.process.wait(timeout=30) == 1
    time.sleep(0.2)
    assert "failed with exit code 2" in runner.output()
    started = [n for e, n, _ in runner.events() if e == "start"]
    assert "svc-a" not in started
    assert ("graceful-stop", "fake-sink") in [(e, n) for e, n, _ in runner.events()]


def test_plan_scale_and_environment(tmp_path):
    from hgrip_standins.runner.plan import child_environment, default_plan, parse_scale
    from hgrip_standins.runner.summary import locations, mask_url, table

    plan = default_plan(parse_scale(["projects=3"]), python="py", hgrip="hgrip")
    assert plan.migrations == [["hgrip", "migrate"]]
    names = [spec.name for spec in plan.services]
    assert names[:4] == ["identity", "projects.1", "projects.2", "projects.3"] and "gateway" in names
    assert all(spec.argv == ["hgrip", "serve", "projects"]
               for spec in plan.services if spec.name.startswith("projects"))
    assert [spec.name for spec in plan.standins] == ["smtp-sink", "sms-sink", "hgrg", "repositories"]
    assert plan.standins[-1].argv == ["py", "-m", "hgrip_standins.repositories"]
    for bad in (["nope=2"], ["projects=0"], ["projects"]):
        with pytest.raises(ValueError):
            parse_scale(bad)

    env = child_environment({"HGRIP_VAR": "rel/var", "HGRIP_AMQP_URI": "amqp://u:p@h:5672/",
                             "HGRIP_SMS_ADDRESS": "0.0.0.0:9026"})
    assert Path(env["HGRIP_VAR"]).is_absolute()
    assert env["HGRIP_AMQP_URI"] == "amqp://u:p@h:5672/"                    # passes through untouched
    assert env["HGRIP_SMS_URL"] == "http://127.0.0.1:9026"
    assert child_environment({})["HGRIP_SMS_URL"] == "http://127.0.0.1:8026"        # the sink's default address
    assert child_environment({"HGRIP_SMS_URL": "https://sms.example.cn"})["HGRIP_SMS_URL"] \
        == "https://sms.example.cn"                                          # a real gateway's URL wins
    assert env["HGRIP_SMTP_HOST"] == "127.0.0.1" and env["HGRIP_SMTP_PORT"] == "8025"
    assert env["HGRIP_HGRG_URL"] == "http://127.0.0.1:8030/hgrg"
    assert env["HGRIP_REPOSITORIES_ADDRESS"] == "127.0.0.1:8040"
    assert env["HGRIP_REPOSITORIES_URL"] == "http://127.0.0.1:8040"          # the client appends /repositories/…
    assert child_environment({"HGRIP_REPOSITORIES_ADDRESS": "0.0.0.0:9040"})["HGRIP_REPOSITORIES_URL"] \
        == "http://127.0.0.1:9040"
    assert child_environment({"HGRIP_REPOSITORIES_URL": "http://adapter:80"})["HGRIP_REPOSITORIES_URL"] \
        == "http://adapter:80"                                               # an explicit URL wins
    where = dict(locations({**env, "HGRIP_VAR": "/v"}))
    assert where["repositories stand-in"] == "http://127.0.0.1:8040/repositories/{repository}/datasets"

    assert mask_url("postgresql+psycopg2://postgres:s3cret@db:5432/x") == "postgresql+psycopg2://postgres:***@db:5432/x"
    assert mask_url("sqlite:////tmp/x.sqlite") == "sqlite:////tmp/x.sqlite"
    rendered = table(["a", "b"], [["张晓寒", "x"], ["ab", "y"]]).splitlines()
    assert rendered[2].index("x") + 3 == rendered[3].index("y")   # 3 CJK characters fill 6 columns: aligned on screen


STOPPABLE = {"standins": [{"name": "fake-sink", "argv": fake("serve", "fake-sink")}],
             "services": [{"name": "svc-a", "argv": fake("slowstop", "svc-a")},
                          {"name": "gateway", "argv": fake("gateway", "gateway")}]}


def started_runner(tmp_path, free_port, kill_leftovers, plan=STOPPABLE):
    runner = RunnerProcess(tmp_path, plan, free_port(), "--no-provision")
    kill_leftovers(runner)
    runner.wait_for(lambda: "Ctrl-C stops everything." in runner.output(), what="summary printed")
    return runner


def pids(runner, name) -> list[int]:
    return [pid for e, n, pid in runner.events() if e == "start" and n == name]


@pytest.mark.slow
def test_a_signal_to_the_process_group_stops_everything_gracefully(tmp_path, free_port, kill_leftovers):
    """As a service manager stops `make run`: SIGTERM to the group, then make relays one to the runner."""
    runner = started_runner(tmp_path, free_port, kill_leftovers)
    began = time.monotonic()
    os.killpg(runner.process.pid, signal.SIGTERM)
    time.sleep(0.05)
    runner.process.send_signal(signal.SIGTERM)
    assert runner.process.wait(timeout=30) == 0
    events, out = runner.events(), runner.output()
    assert time.monotonic() - began >= 1.5                          # svc-a's work in flight was waited for
    assert [n for e, n, _ in events if e == "graceful-stop"] == ["svc-a", "gateway", "fake-sink"] or \
        {n for e, n, _ in events if e == "graceful-stop"} == {"svc-a", "gateway", "fake-sink"}
    assert [n for e, n, _ in events if e == "graceful-stop"][-1] == "fake-sink"   # services first
    assert [e for e, n, _ in events if n == "svc-a"].count("sigterm") == 1        # the children saw one signal
    assert "SIGKILL" not in out and "SIGTERM again: already stopping" in out
    assert "svc-a stopped (exit code 0)" in out
    assert not [pid for _, _, pid in events if alive(pid)]


@pytest.mark.slow
def test_a_child_stopped_alone_is_restarted_and_its_output_kept(tmp_path, free_port, kill_leftovers):
    runner = started_runner(tmp_path, free_port, kill_leftovers)
    first = pids(runner, "svc-a")[0]
    os.kill(first, signal.SIGTERM)
    runner.wait_for(lambda: len(pids(runner, "svc-a")) == 2, timeout=20, what="svc-a restarted")
    assert ("graceful-stop", "svc-a", first) in runner.events()
    assert "svc-a exited with code 0" in runner.output()
    log = (tmp_path / "var" / "log" / "svc-a.log").read_text()     # both runs, appended
    assert log.count("svc-a ready") == 2 and "svc-a stopping gracefully" in log
    runner.process.send_signal(signal.SIGTERM)
    assert runner.process.wait(timeout=30) == 0


@pytest.mark.slow
def test_children_stop_gracefully_when_the_runner_is_killed(tmp_path, free_port, kill_leftovers):
    runner = started_runner(tmp_path, free_port, kill_leftovers)
    # svc-a is restarted from the runner's monitor thread: it must outlive that thread's loop too.
    os.kill(pids(runner, "svc-a")[0], signal.SIGTERM)
    runner.wait_for(lambda: len(pids(runner, "svc-a")) == 2, timeout=20, what="svc-a restarted")
    time.sleep(0.5)
    children = {n: pids(runner, n)[-1] for n in ("svc-a", "gateway", "fake-sink")}
    runner.process.kill()
    runner.process.wait(timeout=10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(alive(pid) for pid in children.values()):
        time.sleep(0.1)
    assert not [name for name, pid in children.items() if alive(pid)], "orphans left behind"
    graceful = {(n, pid) for e, n, pid in runner.events() if e == "graceful-stop"}
    assert set(children.items()) <= graceful
    # Their last words are in their log files, though nobody was reading their output any more.
    assert "svc-a stopping gracefully" in (tmp_path / "var" / "log" / "svc-a.log").read_text().split("ready")[-1]


@pytest.mark.slow
def test_ctrl_c_twice_does_not_wait(tmp_path, free_port, kill_leftovers):
    plan = {"services": [{"name": "stubborn", "argv": fake("stubborn", "stubborn")},
                         {"name": "gateway", "argv": fake("gateway", "gateway")}]}
    runner = started_runner(tmp_path, free_port, kill_leftovers, plan)
    began = time.monotonic()
    runner.process.send_signal(signal.SIGINT)
    runner.wait_for(lambda: "SIGINT: stopping" in runner.output(), timeout=10, what="stopping")
    runner.process.send_signal(signal.SIGINT)
    assert runner.process.wait(timeout=30) == 0
    assert time.monotonic() - began < 2 + 3          # before the grace period (2 s) and margin ran out
    assert "stubborn (pid" in runner.output() and "asked to stop at once (Ctrl-C twice): SIGKILL" in runner.output()
