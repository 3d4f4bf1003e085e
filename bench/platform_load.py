"""(c) submissions/s and CPU per submission through the gateway; (d) submit reply → HGRG receipt at steady rates.

Runs the real platform as processes (every service, the gateway, the HGRG and repositories stand-ins)
on scratch PostgreSQL databases and a scratch vhost, then drives it over HTTP like a user would.
"""
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import requests

from hgrip_kernel.config import env_key
from hgrip_kernel.testing.platform import PLATFORM_SERVICES, Platform, free_port

from .machine_cpu import MachineCpu, describe, process_stat, summed

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-hgrg-shared-secret-of-enough-length"
# (c)'s halving target: CPU ms per submission summed over the platform processes before issue 12,
# measured by this benchmark at that commit (docs/performance.md, "Profiles (before)").
BEFORE_COMMIT = "319344c"
BEFORE_CPU_MS = 35.8
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
    found = process_stat(pid)
    if found is None:
        raise ProcessLookupError(f"platform process {pid} is gone")
    return found[2]


def _cpu_by_process(running: Running) -> dict:
    return {key: _cpu_ms(process.pid) for key, process in running.platform.processes.items()}


def _rate(calls, workers: int) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda call: call(), calls))
    elapsed = time.perf_counter() - start
    assert all(results), "a request in the benchmark failed"
    return len(calls) / elapsed


# A diagnostic, never the benchmark: these platform processes (e.g. "registry-sync,verification") are
# stopped (SIGSTOP) while the submits run and continued after, so the rate is the reply path's alone
# and the work after the reply waits; their CPU still counts in the CPU row.
PAUSED = [key for key in os.environ.get("HGRIP_BENCH_PAUSE_DURING_SUBMITS", "").split(",") if key]


@contextmanager
def _paused(running: Running, keys: list[str]):
    pids = [running.platform.processes[key].pid for key in keys]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def submissions(running: Running, n: int = 300, workers: int = 8) -> list[dict]:
    ids = running.ready_backups(n, "throughput")
    sessions = [running.session() for _ in range(workers)]
    reads = [lambda i=i: sessions[i % workers].get(f"{running.base}/backups/{ids[i]}", timeout=30).ok
             for i in range(n)]
    submits = [lambda i=i: sessions[i % workers].post(f"{running.base}/backups/{ids[i]}/submit", timeout=30).ok
               for i in range(n)]
    machine = MachineCpu({**{key: [p.pid] for key, p in running.platform.processes.items()},
                          "stand-ins": [p.pid for p in running.standins]})
    start = machine.snapshot()
    reads_before = _rate(reads, workers)
    read_costs = machine.per_request(start, machine.snapshot(), n)
    before = _cpu_by_process(running)
    start = machine.snapshot()
    with _paused(running, PAUSED):
        submit_rate = _rate(submits, workers)
    submit_costs = machine.per_request(start, machine.snapshot(), n)
    deadline = time.time() + 60  # include the work that follows a submit: relay, sync, push
    while time.time() < deadline and len(running.received()) < n:
        time.sleep(0.2)
    after = _cpu_by_process(running)
    # The reads again once the submits' work is done: a machine whose speed drifts (a shared host)
    # moves the baseline on both sides of the submits, so their mean is the baseline.
    read_rate = (reads_before + _rate(reads, workers)) / 2
    per_process = {key: (after[key] - before[key]) / n for key in sorted(after)}
    total = sum(per_process.values())
    cpu = ", ".join(f"{key} {ms:.1f}" for key, ms in per_process.items())
    paused = f"; diagnostic: {', '.join(PAUSED)} stopped while the submits ran" if PAUSED else ""
    return [{"what": f"(c) submissions/s through the gateway ({workers} concurrent clients{paused})",
             "measured": f"{submit_rate:,.0f}/s",
             "baseline": f"backup reads through the gateway {read_rate:,.0f}/s (before and after)",
             "ratio": submit_rate / read_rate, "target": "≥ 0.60",
             "met": None if PAUSED else submit_rate / read_rate >= 0.6},
            {"what": f"(c) CPU ms per submission over all platform processes (reply, relay, consumers, HGRG push; "
                     f"not PostgreSQL, RabbitMQ, stand-ins, load): {cpu}",
             "measured": f"{total:.1f} ms", "baseline": f"{BEFORE_CPU_MS:.1f} ms at {BEFORE_COMMIT}",
             "ratio": total / BEFORE_CPU_MS, "target": "≤ 0.50", "met": total <= BEFORE_CPU_MS / 2},
            machine_row(read_costs, submit_costs)]


def machine_row(read_costs: dict, submit_costs: dict) -> dict:
    """What one read and one submission cost the whole machine while their phases ran (the reads'
    first pass; the submits' own seconds, with whatever registry-sync pushed meanwhile): on busy
    cores the (c) ratio is about read ÷ submission here."""
    read, submit = summed(read_costs), summed(submit_costs)
    return {"what": "(c) CPU ms per request over the whole machine while each phase ran (PostgreSQL, "
                    "RabbitMQ, stand-ins and the load generator too; a diagnostic of the first (c) row: "
                    f"on busy cores its ratio is read ÷ submission) — a read: {describe(read_costs)}; "
                    f"a submission: {describe(submit_costs)}",
            "measured": f"a submission {submit:.1f} ms", "baseline": f"a read {read:.1f} ms",
            "ratio": read / submit, "target": "—", "met": None}


class Steady:
    """Submits ``ids`` at a steady offered rate, open loop: each request leaves on its schedule
    whatever the earlier replies do, as long as fewer than ``workers`` are in flight (green threads;
    a request that leaves more than 100 ms after its slot, because the load generator had no CPU or
    every worker waited for a reply, is counted as late: the offered rate was not kept)."""

    def __init__(self, running: Running, ids: list[str], rate: float):
        self.running, self.ids, self.rate = running, ids, rate
        self.replied: dict[str, float] = {}   # backup number -> when its reply came
        self.reply_ms: list[float] = []
        self.failed: list[str] = []
        self.late = 0

    def _submit(self, session: requests.Session, backup_id: str, slot: float):
        sent = time.time()
        if sent - slot > 0.1:
            self.late += 1
        try:  # anything raised here would vanish with its future: every failure is counted instead
            response = session.post(f"{self.running.base}/backups/{backup_id}/submit", timeout=60)
            if response.status_code != 200:
                self.failed.append(f"{backup_id}: {response.status_code} {response.text[:200]}")
                return
            number = response.json()["backup_number"]
        except Exception as exc:
            self.failed.append(f"{backup_id}: {type(exc).__name__}: {exc}")
            return
        now = time.time()
        self.replied[number] = now
        self.reply_ms.append((now - sent) * 1000)

    def run(self, workers: int = 400) -> float:
        """Returns the seconds from the first request to the last reply."""
        sessions = [self.running.session() for _ in range(workers)]
        first = time.time()
        with ThreadPoolExecutor(workers) as pool:
            for i, backup_id in enumerate(self.ids):
                slot = first + i / self.rate
                time.sleep(max(0.0, slot - time.time()))
                pool.submit(self._submit, sessions[i % workers], backup_id, slot)
        return time.time() - first

    def wait_received(self, timeout: float = 60) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline and not set(self.replied) <= set(self.running.received()):
            time.sleep(0.2)
        return self.running.received()


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return (values[0],) * 3 if values else (float("nan"),) * 3
    q = statistics.quantiles(values, n=100)
    return statistics.median(values), q[94], q[98]


def latency(running: Running, rate: float = 50.0, seconds: float = 20.0, target_ms: float | None = 1000) -> dict:
    n = int(rate * seconds)
    steady = Steady(running, running.ready_backups(n, "latency"), rate)
    elapsed = steady.run()
    received = steady.wait_received()
    missing = set(steady.replied) - set(received)
    delays = sorted(max(0.0, received[number] - at) * 1000
                    for number, at in steady.replied.items() if number in received)
    p50, p95, p99 = _percentiles(delays)
    r50, _, r99 = _percentiles(steady.reply_ms)
    broken = bool(missing or steady.failed)
    if steady.failed:
        print(f"  {len(steady.failed)} submits failed at {rate:.0f}/s, e.g. {steady.failed[0]}", flush=True)
    return {"what": f"(d) submit reply → HGRG receipt at a steady {rate:.0f} submissions/s for {seconds:.0f} s "
                    f"({n} backups: {len(missing)} replied numbers not received, {len(steady.failed)} submits "
                    f"failed, {steady.late} sent late; submit replies p50 {r50:.0f} ms, p99 {r99:.0f} ms; "
                    f"all replied within {elapsed:.1f} s)",
            "measured": f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms", "baseline": "—", "ratio": "—",
            "target": f"p99 < {target_ms:.0f} ms" if target_ms else "— (where the knee is)",
            "met": (p99 < target_ms and not broken) if target_ms else None, "failed": broken}


def run_submissions(scratch) -> list[dict]:
    """(c) alone (``python -m bench submissions``): its two rows, without the (d) rows' minutes."""
    running = Running(scratch)
    try:
        return submissions(running)
    finally:
        running.stop()


def run(scratch) -> list[dict]:
    running = Running(scratch)
    try:
        return [*submissions(running), latency(running, rate=50.0),
                latency(running, rate=30.0, seconds=15.0, target_ms=100),
                latency(running, rate=80.0, seconds=10.0, target_ms=None)]
    finally:
        running.stop()
