"""(c) submissions/s through the gateway, and (d) latency from submit reply to HGRG receipt at 50/s.

Runs the real platform as processes (every service, the gateway, the HGRG and repositories stand-ins)
on scratch PostgreSQL databases and a scratch vhost, then drives it over HTTP like a user would.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import requests

from hgrip_kernel.config import env_key
from hgrip_kernel.testing.platform import PLATFORM_SERVICES, Platform, free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-hgrg-shared-secret-of-enough-length"
FILE = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
        "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
PROJECT = {"pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}


class Running:
    """The whole platform as processes on scratch databases and a scratch vhost; ``seed`` is the
    repositories stand-in's datasets (the demo seed unless a benchmark needs more)."""

    def __init__(self, scratch, seed: Path = ROOT / "deploy" / "repositories-seed.json"):
        self.var = Path(tempfile.mkdtemp(prefix="hgrip-bench-"))
        hgrg_port, repositories_port = free_port(), free_port()
        env = {"HGRIP_AMQP_URI": scratch.vhost(), "HGRIP_VAR": str(self.var),
               "HGRIP_GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}",
               "HGRIP_TOKEN_SECRET": "bench-token-secret-long-enough-for-hs256",
               "HGRIP_HGRG_SHARED_SECRET": SECRET,
               "HGRIP_HGRG_ADDRESS": f"127.0.0.1:{hgrg_port}", "HGRIP_HGRG_URL": f"http://127.0.0.1:{hgrg_port}/hgrg",
               "HGRIP_REPOSITORIES_ADDRESS": f"127.0.0.1:{repositories_port}",
               "HGRIP_REPOSITORIES_URL": f"http://127.0.0.1:{repositories_port}",
               "HGRIP_REPOSITORIES_SEED": str(seed)}
        for service in PLATFORM_SERVICES:
            env[f"HGRIP_{env_key(service)}_DATABASE_URL"] = scratch.database(service)
        self.platform = Platform(env, self.var / "logs")
        full_env = {**os.environ, **env}
        logs = self.var / "logs"
        self.standins = [_spawn([sys.executable, "-m", module, *args], full_env, logs / f"{name}.log")
                         for name, module, args in (("hgrg", "hgrip_standins.hgrg", ["serve"]),
                                                    ("repositories", "hgrip_standins.repositories", []))]
        for service in (*PLATFORM_SERVICES, "gateway"):
            self.platform.start(service)
        self.platform.wait_healthy(120)
        from hgrip_standins.hgrg.provision import provision
        provision(ROOT / "deploy" / "demo-accounts.json", self.platform.gateway_url, SECRET,
                  timeout=60, log=lambda *_: None)
        self.url = self.platform.gateway_url
        self.base = self.url + "/api/v1"
        self.token = requests.post(f"{self.base}/auth/login", timeout=30, json={
            "username": "zhangxiaohan", "password": "Demo-2026!"}).json()["access_token"]

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def ready_backups(self, n: int, label: str) -> list[str]:
        """n backups, each with one complete file, ready to submit."""
        session = self.session()
        project = session.post(f"{self.base}/projects", json={**PROJECT, "name": f"bench-{label}-{time.time_ns()}"},
                               timeout=30).json()

        def make(i):
            with requests.Session() as s:
                s.headers.update(session.headers)
                backup = s.post(f"{self.base}/projects/{project['id']}/backups", timeout=30,
                                json={"name": f"{label}-{i}", "categories": ["wgs"]}).json()
                added = s.post(f"{self.base}/backups/{backup['id']}/files", json=FILE, timeout=30)
                assert added.status_code == 201, added.text
                return backup["id"]

        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(make, range(n)))

    def received(self) -> dict:
        path = self.var / "hgrg" / "received.jsonl"
        if not path.exists():
            return {}
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return {r["backup_number"]: datetime.fromisoformat(r["received_at"].replace("Z", "+00:00")).timestamp()
                for r in records}

    def stop(self):
        self.platform.stop_all()
        for process in self.standins:
            process.terminate()
            process.wait(10)


def _spawn(argv: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    """Start ``argv`` with its output appended to ``log_path`` (the child keeps its own handle)."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)


def _cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _cpu_by_process(running: Running) -> dict:
    return {key: _cpu_ms(process.pid) for key, process in running.platform.processes.items()}


def _rate(calls, workers: int) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda call: call(), calls))
    elapsed = time.perf_counter() - start
    assert all(results), "a request in the benchmark failed"
    return len(calls) / elapsed


def submissions(running: Running, n: int = 300, workers: int = 8) -> dict:
    ids = running.ready_backups(n, "throughput")
    sessions = [running.session() for _ in range(workers)]
    reads = [lambda i=i: sessions[i % workers].get(f"{running.base}/backups/{ids[i]}", timeout=30).ok
             for i in range(n)]
    submits = [lambda i=i: sessions[i % workers].post(f"{running.base}/backups/{ids[i]}/submit", timeout=30).ok
               for i in range(n)]
    read_rate = _rate(reads, workers)
    before = _cpu_by_process(running)
    submit_rate = _rate(submits, workers)
    deadline = time.time() + 60  # include the work that follows a submit: relay, sync, push
    while time.time() < deadline and len(running.received()) < n:
        time.sleep(0.2)
    after = _cpu_by_process(running)
    cpu = ", ".join(f"{key} {(after[key] - before[key]) / n:.1f}" for key in sorted(after))
    return {"what": f"(c) submissions/s through the gateway ({workers} concurrent clients); "
                    f"CPU ms per submission: {cpu}",
            "measured": f"{submit_rate:,.0f}/s", "baseline": f"backup reads through the gateway {read_rate:,.0f}/s",
            "ratio": submit_rate / read_rate, "target": "—", "met": None}


def latency(running: Running, rate: float = 50.0, seconds: float = 20.0) -> dict:
    n = int(rate * seconds)
    ids = running.ready_backups(n, "latency")
    replied: dict[str, float] = {}
    session_pool = [running.session() for _ in range(16)]

    def submit(i):
        response = session_pool[i % 16].post(f"{running.base}/backups/{ids[i]}/submit", timeout=30)
        assert response.status_code == 200, response.text
        replied[response.json()["backup_number"]] = time.time()

    start = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:  # open loop: a steady 50/s whatever the replies do
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(submit, i)
    deadline = time.time() + 60
    while time.time() < deadline and not set(replied) <= set(running.received()):
        time.sleep(0.2)
    received = running.received()
    missing = set(replied) - set(received)
    delays = sorted(max(0.0, received[number] - at) * 1000 for number, at in replied.items() if number in received)
    q = statistics.quantiles(delays, n=100)
    p50, p95, p99 = statistics.median(delays), q[94], q[98]
    return {"what": f"(d) submit reply → HGRG receipt at a steady {rate:.0f} submissions/s for {seconds:.0f} s "
                    f"({n} backups{', ' + str(len(missing)) + ' NOT received' if missing else ''})",
            "measured": f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms", "baseline": "—",
            "ratio": "—", "target": "p99 < 1000 ms", "met": p99 < 1000 and not missing}


def run(scratch) -> list[dict]:
    running = Running(scratch)
    try:
        return [submissions(running), latency(running, rate=50.0), latency(running, rate=30.0, seconds=15.0)]
    finally:
        running.stop()
