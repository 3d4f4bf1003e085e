"""Fixtures of the registry-sync tests (conftest: helpers cannot be imported under importlib mode).

Everything is real: the HGRG stand-in runs as its own process (as in production, and away from
this process's eventlet monkey patch) on a free port with its own var dir; BackupSubmitted events
travel the production path — an event store with source ``backups``, its outbox, the confirming
relay, RabbitMQ — into real registry-sync containers on PostgreSQL (or SQLite).
"""
import itertools
import json
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

import pytest
import requests
from hgrip_kernel.testing.platform import free_port

HGRG_SECRET = "registry-sync-test-hgrg-secret"


class HgrgStandin:
    """``python -m hgrip_standins.hgrg serve`` and what it saw: receipts, requests, control."""

    # Matched in the whole text, not per line: the stand-in's threads print at once, and a newline
    # of one may land after another's message (each message itself is one append-mode write).
    ACCESS = re.compile(r'"POST /hgrg/api/v1/backups HTTP/1\.1" (\d{3})')
    RECEIPT = re.compile(r"hgrg backup number (BF\d+) (received|duplicate)")

    def __init__(self, var_dir, secret: str = HGRG_SECRET):
        self.var_dir = var_dir
        self.secret = secret
        self.port = free_port()
        self.address = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.address}/hgrg"   # what the platform calls HGRG_URL
        self.log_path = var_dir / "hgrg-standin.log"
        self.process = None

    def start(self) -> "HgrgStandin":
        var_dir = self.var_dir
        var_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HGRIP_VAR": str(var_dir), "HGRIP_HGRG_ADDRESS": f"127.0.0.1:{self.port}",
               "HGRIP_HGRG_SHARED_SECRET": self.secret, "PYTHONUNBUFFERED": "1"}
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "hgrip_standins.hgrg", "serve"], env=env,
                                        stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"HGRG stand-in did not start:\n{self.log_path.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self._log.close()

    def control(self, mode: str, **spec) -> dict:
        response = requests.post(f"{self.base_url}/control/fail", json={"mode": mode, **spec}, timeout=5)
        response.raise_for_status()
        return response.json()

    def received(self) -> list[dict]:
        """Every receipt, in order, from HGRG's own file (readable whatever the control mode)."""
        path = self.var_dir / "hgrg" / "received.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def received_numbers(self) -> list[str]:
        return [record["backup_number"] for record in self.received()]

    def _log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def post_statuses(self) -> list[int]:
        """The status of every POST of a backup number HGRG answered: its request count."""
        return [int(match.group(1)) for match in self.ACCESS.finditer(self._log_text())]

    def answers(self, kind: str) -> list[str]:
        """Backup numbers answered ``received`` or ``duplicate``, one entry per answer."""
        return [match.group(1) for match in self.RECEIPT.finditer(self._log_text())
                if match.group(2) == kind]


@pytest.fixture
def hgrg(tmp_path):
    standin = HgrgStandin(tmp_path / "hgrg-var").start()
    yield standin
    standin.stop()


@pytest.fixture
def hgrg_factory(tmp_path):
    """``hgrg_factory(secret=…)`` for a second stand-in or one with another secret."""
    started = []

    def make(secret: str = HGRG_SECRET, name: str = "hgrg-other") -> HgrgStandin:
        standin = HgrgStandin(tmp_path / name, secret).start()
        started.append(standin)
        return standin

    yield make
    for standin in started:
        standin.stop()


_serial = itertools.count(1)


@pytest.fixture
def backup_payload():
    """``backup_payload(**changes)`` → a well-formed BackupSubmitted v1 payload with a fresh number."""
    def make(**changes) -> dict:
        serial = next(_serial)
        payload = {
            "backup_id": str(uuid.uuid4()),
            "backup_number": f"BF20260115{serial:05d}",
            "project_id": str(uuid.uuid4()),
            "project_name": "三例样本（父母子）的测序数据开放共享备案",
            "name": f"全基因组测序备份 {serial}",
            "categories": ["wgs"],
            "owner_id": str(uuid.uuid4()),
            "institution_code": "INST-0008182183",
            "unit_code": "UNIT-019AA16948",
            "pi_name": "刘晓寒",
            "pi_email": "data-admin@big.ac.cn",
            "file_count": 1,
            "total_mb": 1536.5,
            "submitted_at": datetime.now(timezone.utc).isoformat(),
            "files": [{"file_id": str(uuid.uuid4()), "detailed_type": "raw_sequencing",
                       "repository": "GSA-Human", "accession": "HRA000567", "cases": 3,
                       "mb_per_case": 512.1666}],
        }
        payload.update(changes)
        return payload
    return make


class BackupsPublisher:
    """Plays the backups service: BackupSubmitted through a real event store, outbox and relay."""

    def __init__(self, url: str, amqp_uri: str):
        from hgrip_kernel.outbox_relay import OutboxRelay
        from hgrip_kernel.store import EventStore, create_engine

        self.engine = create_engine(url)
        self.store = EventStore(self.engine, source="backups")
        self.relay = OutboxRelay(self.engine, amqp_uri)
        self.published_at: dict[str, float] = {}   # backup number → wall clock when relayed

    def submit(self, *payloads, correlation_id: str | None = None, relay: bool = True) -> list:
        from hgrip_kernel.events import DomainEvent

        stored = []
        with self.store.unit_of_work(actor=payloads[0]["owner_id"], correlation_id=correlation_id) as uow:
            for payload in payloads:
                stored += uow.append("backup", f"backup-{payload['backup_id']}", 0,
                                     [DomainEvent("BackupSubmitted", payload)])
        if relay:
            self.relay_all()
        return stored

    def relay_all(self) -> int:
        from hgrip_kernel.outbox_relay import outbox_messages

        with self.engine.connect() as connection:
            pending = outbox_messages(connection, unpublished_only=True)
        now = time.time()
        for message in pending:
            self.published_at.setdefault(json.loads(message["body"])["data"]["backup_number"], now)
        return self.relay.relay_all()

    def close(self):
        self.relay.close()
        self.engine.dispose()


@pytest.fixture
def backups(make_database, amqp_uri):
    publisher = BackupsPublisher(make_database(), amqp_uri)
    yield publisher
    publisher.close()


@pytest.fixture
def sync_config(service_config, hgrg):
    """``sync_config(database_url, **extra)``: registry-sync's config, pointed at the stand-in."""
    def make(database_url: str, **extra) -> dict:
        settings = {"HGRG_URL": hgrg.base_url, "HGRG_SHARED_SECRET": HGRG_SECRET, "HGRG_TIMEOUT": 2,
                    "SYNC_POLL_INTERVAL": 0.1, **extra}
        return service_config("registry-sync", database_url, **settings)
    return make


@pytest.fixture
def sync_db(make_database):
    return make_database("registry-sync")


@pytest.fixture
def sync_rows():
    """``sync_rows(url, sql, **params)``: look behind the API into registry-sync's database."""
    from sqlalchemy import create_engine, text

    engines = {}

    def query(url: str, sql: str, **params) -> list:
        engine = engines.setdefault(url, create_engine(url))
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()

    yield query
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def sync_states_of(rpc_proxy):
    """``sync_states_of(numbers)`` → {number: get_sync_state(number)} over RPC."""
    def read(numbers) -> dict:
        with rpc_proxy() as cluster:
            return {number: cluster["registry-sync"].get_sync_state(number) for number in numbers}
    return read
