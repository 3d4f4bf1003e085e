"""The platform's metrics read back through a real Prometheus (Debian's), as an operator's would be.

`make run`'s runner (the real `hgrip-run`, as tests/faults/test_fault_stopping.py starts it, on private
ports, vhost and databases) gives each process a metrics listener ($HGRIP_METRICS_BASE_PORT); a private
`prometheus` scrapes them every second with deploy/prometheus/prometheus.yml.template and alerts.yml;
submissions run through the gateway (tests/faults/harness.py's Load); then the figures are read with
Prometheus's HTTP API (/api/v1/query) and compared with what the load did.
"""
import importlib.util
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from string import Template

import pytest
import requests

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parents[1]
PROMETHEUS_DIR = TESTS.parent / "deploy" / "prometheus"
COMPONENTS = ("identity", "projects", "backups", "verification", "registry-sync", "gateway")
SUBMISSIONS = 6
TARGETS_UP = 'count(up{job="hgrip"} == 1)'


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _faults():
    """tests/faults' harness (Load) and its RunnerPlatform: the platform exactly as `make run` runs it."""
    if str(TESTS / "faults") not in sys.path:
        sys.path.insert(0, str(TESTS / "faults"))
    import harness
    stopping = _load("hgrip_metrics_fault_stopping", TESTS / "faults" / "test_fault_stopping.py")
    return harness, stopping


def free_port_range(count: int) -> int:
    """A base port with ``count`` free ports after it (the runner numbers its listeners from it)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count >= 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no range of free ports")


class Prometheus:
    """Debian's prometheus on a temporary configuration, data directory and port; never the system's."""

    def __init__(self, root: Path, targets: dict[str, str]):
        self.root = root
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.address = f"127.0.0.1:{probe.getsockname()[1]}"
        values = {f"{c.upper().replace('-', '_')}_METRICS": targets[c] for c in COMPONENTS}
        config = Template((PROMETHEUS_DIR / "prometheus.yml.template").read_text()).substitute(
            SCRAPE_INTERVAL="1s", RULES_FILE=str(PROMETHEUS_DIR / "alerts.yml"), **values)
        (root / "prometheus.yml").write_text(config)
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        with open(self.root / "prometheus.out", "wb") as out:
            self.process = subprocess.Popen(
                [shutil.which("prometheus"), f"--config.file={self.root / 'prometheus.yml'}",
                 f"--storage.tsdb.path={self.root / 'data'}", f"--web.listen-address={self.address}"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, (self.root / "prometheus.out").read_text()[-3000:]
            try:
                if requests.get(f"http://{self.address}/-/ready", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "Prometheus not ready"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)

    def query(self, expr: str) -> dict[tuple, float]:
        """{labels as sorted tuples: value} of an instant query."""
        answer = requests.get(f"http://{self.address}/api/v1/query", params={"query": expr}, timeout=5)
        answer.raise_for_status()
        body = answer.json()
        assert body["status"] == "success", body
        return {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in body["data"]["result"]}

    def scalar(self, expr: str) -> float | None:
        result = self.query(expr)
        assert len(result) <= 1, result
        return next(iter(result.values()), None)

    def wait_for(self, expr: str, check, timeout: float = 60, what: str = "") -> float | None:
        deadline = time.monotonic() + timeout
        while True:
            value = self.scalar(expr)
            if value is not None and check(value):
                return value
            assert time.monotonic() < deadline, f"{what or expr}: {value} after {timeout}s"
            time.sleep(0.5)


@pytest.fixture(scope="module")
def metered_platform(make_database, make_vhost, tmp_path_factory):
    if shutil.which("prometheus") is None:
        pytest.skip("Debian's prometheus is not installed (deploy/scripts/ensure-prometheus.sh; make test installs it)")
    harness, stopping = _faults()
    root = tmp_path_factory.mktemp("metrics")
    env = _load("hgrip_metrics_e2e_conftest", TESTS / "conftest.py").platform_env(make_database, make_vhost,
                                                                                  root / "var")
    base = free_port_range(len(COMPONENTS))
    env["HGRIP_METRICS_BASE_PORT"] = str(base)
    targets = {component: f"127.0.0.1:{base + i}" for i, component in enumerate(COMPONENTS)}
    # No feed: its RabbitMQ user is global to the broker, and this platform runs on a shared one.
    platform = stopping.RunnerPlatform(env, root / "var", runner_args=("--no-feed",))
    prometheus = Prometheus(root, targets)
    try:
        platform.start_runner()
        prometheus.start()
        yield platform, prometheus, harness
    finally:
        prometheus.stop()
        platform.stop_runner()
        for left in platform.leftovers():   # never leave a process consuming from the broker
            subprocess.run(["kill", "-9", left.split(":")[0]], check=False)


def test_prometheus_reads_the_platforms_figures_after_a_load(metered_platform):
    platform, prometheus, harness = metered_platform
    prometheus.wait_for(TARGETS_UP, lambda v: v == len(COMPONENTS), timeout=30, what="every target up")

    with harness.Load(platform, clients=2) as load:
        load.wait_accepted(SUBMISSIONS, timeout=90)
        load.stop()
    accepted = len(load.accepted)
    assert accepted >= SUBMISSIONS and not load.failures, load.failures[:5]
    submits_ok = sum(1 for a in load.answers if a.step == "submit" and a.status == 200)

    # Drained: HGRG has every number, every outbox is empty (the scrapes are 1 s apart).
    prometheus.wait_for('sum(hgrip_hgrg_pushes{state="pending"})', lambda v: v == 0, what="HGRG pending")
    prometheus.wait_for("sum(hgrip_outbox_waiting)", lambda v: v == 0, what="outbox waiting")
    assert prometheus.scalar('sum(hgrip_hgrg_pushes{state="failing"})') == 0
    assert prometheus.scalar('max(hgrip_hgrg_oldest_pending_seconds{queue="number"})') == 0
    assert prometheus.scalar("max(hgrip_outbox_oldest_waiting_seconds)") == 0

    # RPC: backups answered every submit, with its latency.
    prometheus.wait_for('sum(hgrip_rpc_calls_total{service="backups",method="submit",outcome="ok"})',
                        lambda v: v >= accepted, what="backups.submit ok")
    assert prometheus.scalar('sum(hgrip_rpc_duration_seconds_count{service="backups",method="submit"})') >= accepted
    # Consumers: registry-sync took every BackupSubmitted (its only consumer); none retried or parked.
    prometheus.wait_for('sum(hgrip_events_total{service="registry-sync",consumer="on_backup_submitted",'
                        'outcome="consumed"})', lambda v: v >= accepted, what="registry-sync consumed")
    assert prometheus.scalar('sum(hgrip_events_total{outcome="dead_lettered"})') in (None, 0)
    # Relays: backups published at least one event per submission.
    assert prometheus.scalar('sum(hgrip_relay_published_total{service="backups"})') >= accepted
    # registry-sync's own events (SyncRequested, BackupSynced) stay off the broker: nothing to relay.
    assert prometheus.scalar('sum(hgrip_relay_published_total{service="registry-sync"})') in (None, 0)
    # Gateway: the submit route by its template, never the raw path.
    prometheus.wait_for('sum(hgrip_http_requests_total{route="/api/v1/backups/<backup_id>/submit",'
                        'method="POST",status="200"})', lambda v: v >= submits_ok, what="gateway submits")
    assert prometheus.query('hgrip_http_requests_total{route=~"/api/v1/backups/[0-9a-f].*"}') == {}
    # Broker gauges through the gateway: no dead letter, every service has its instance.
    assert prometheus.scalar("max(hgrip_dead_letters)") == 0
    consumers = prometheus.query("hgrip_rpc_consumers")
    assert {dict(k)["rpc_service"]: v for k, v in consumers.items()} == {
        c: 1.0 for c in COMPONENTS if c != "gateway"}
    # Every target up, and the alert rules loaded and quiet.
    assert prometheus.scalar(TARGETS_UP) == len(COMPONENTS)
    rules = requests.get(f"http://{prometheus.address}/api/v1/rules", timeout=5).json()["data"]["groups"]
    alerts = {rule["name"]: rule["state"] for group in rules for rule in group["rules"]}
    assert alerts == {"HgripDeadLetters": "inactive", "HgripHgrgPushOverdue": "inactive",
                      "HgripOutboxBacklogGrowing": "inactive", "HgripServiceWithoutInstances": "inactive"}
    print(f"\n{accepted} submissions; Prometheus read them back from {len(COMPONENTS)} processes")


def test_a_frozen_process_is_seen_down(metered_platform):
    """A process that stops answering (SIGSTOP: nothing exits, the runner restarts nothing) is ``up == 0``
    within seconds, the figure HgripServiceWithoutInstances reads; up again once it resumes."""
    platform, prometheus, _ = metered_platform
    pid = platform.pid("verification")
    subprocess.run(["kill", "-STOP", str(pid)], check=True)   # frozen: the scrape fails, up == 0
    try:
        prometheus.wait_for('up{component="verification"}', lambda v: v == 0, timeout=30,
                            what="verification down")
    finally:
        subprocess.run(["kill", "-CONT", str(pid)], check=True)
    prometheus.wait_for('up{component="verification"}', lambda v: v == 1, timeout=30, what="verification up")
