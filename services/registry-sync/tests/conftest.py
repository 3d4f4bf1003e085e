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
from datetime import UTC, datetime

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
    BATCH_ACCESS = re.compile(r'"POST /hgrg/api/v1/batches HTTP/1\.1" (\d{3})')
    BATCH = re.compile(r"hgrg batch \S+ of (\d+):")
    OWNER_ACCESS = re.compile(r'"POST /hgrg/api/v1/backups/BF\d+/owner HTTP/1\.1" (\d{3})')
    OWNER_RECEIPT = re.compile(r"hgrg owner change ([0-9a-f-]{36}) of BF\d+ \(sequence \d+\) "
                               r"(received|duplicate)")

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
        self._log = open(self.log_path, "ab")   # noqa: SIM115 (closed in stop(), once the process is gone)
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

    def _jsonl(self, name: str) -> list[dict]:
        path = self.var_dir / "hgrg" / name
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def received(self) -> list[dict]:
        """Every receipt, in order, from HGRG's own file (readable whatever the control mode)."""
        return self._jsonl("received.jsonl")

    def owner_changes(self) -> list[dict]:
        """Every owner change HGRG received, in order, from its own file (whatever the control mode)."""
        return self._jsonl("owner_changes.jsonl")

    def owner(self, number: str) -> dict | None:
        """HGRG's current owner of a number (GET …/owner; subject to the control mode), None if 404."""
        response = requests.get(f"{self.base_url}/api/v1/backups/{number}/owner", timeout=5)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def received_numbers(self) -> list[str]:
        return [record["backup_number"] for record in self.received()]

    def _log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def post_statuses(self) -> list[int]:
        """The status of every POST of a backup number HGRG answered: its request count."""
        return [int(match.group(1)) for match in self.ACCESS.finditer(self._log_text())]

    def batch_statuses(self) -> list[int]:
        """The status of every batch HGRG answered (the pusher's requests): its request count."""
        return [int(match.group(1)) for match in self.BATCH_ACCESS.finditer(self._log_text())]

    def batch_sizes(self) -> list[int]:
        """The number of items of every batch HGRG handled (not those refused whole, e.g. while down)."""
        return [int(match.group(1)) for match in self.BATCH.finditer(self._log_text())]

    def connections(self) -> int:
        """TCP connections HGRG accepted so far (its health check's own included)."""
        return requests.get(f"{self.base_url}/healthz", timeout=5).json()["connections"]

    def answers(self, kind: str) -> list[str]:
        """Backup numbers answered ``received`` or ``duplicate``, one entry per answer."""
        return [match.group(1) for match in self.RECEIPT.finditer(self._log_text())
                if match.group(2) == kind]

    def owner_post_statuses(self) -> list[int]:
        """The status of every POST of an owner change HGRG answered."""
        return [int(match.group(1)) for match in self.OWNER_ACCESS.finditer(self._log_text())]

    def owner_answers(self, kind: str) -> list[str]:
        """Change ids answered ``received`` or ``duplicate``, one entry per answer."""
        return [match.group(1) for match in self.OWNER_RECEIPT.finditer(self._log_text())
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
            "submitted_at": datetime.now(UTC).isoformat(),
            "files": [{"file_id": str(uuid.uuid4()), "detailed_type": "raw_sequencing",
                       "repository": "GSA-Human", "accession": "HRA000567", "cases": 3,
                       "mb_per_case": 512.1666}],
        }
        payload.update(changes)
        return payload
    return make


class OwnerEvents:
    """Payloads of ``backups.BackupDelegated`` / ``backups.BackupClaimed`` v1, and the bodies HGRG
    should get for them (docs/protocols/hgrg.md §5)."""

    @staticmethod
    def delegated(backup_id: str, backup_number: str | None, sequence: int, to_username: str = "wangyuqing",
                  unit_code: str | None = "UNIT-019AA16948") -> dict:
        return {"backup_id": backup_id, "backup_number": backup_number, "transfer_id": str(uuid.uuid4()),
                "from_owner_id": str(uuid.uuid4()), "to_owner_id": str(uuid.uuid4()),
                "to_username": to_username, "institution_code": "INST-0008182183", "unit_code": unit_code,
                "delegated_by": str(uuid.uuid4()), "delegated_at": datetime.now(UTC).isoformat(),
                "sequence": sequence}

    @staticmethod
    def claimed(backup_id: str, backup_number: str, sequence: int, owner_username: str = "sunlijuan",
                how: str = "sms") -> dict:
        return {"backup_id": backup_id, "backup_number": backup_number, "owner_id": str(uuid.uuid4()),
                "owner_username": owner_username, "institution_code": "INST-5D1E2A7C90",
                "unit_code": "UNIT-77B0C1D2E3", "how": how, "claimed_by": str(uuid.uuid4()),
                "claimed_at": datetime.now(UTC).isoformat(), "sequence": sequence}

    @staticmethod
    def body(change_id: str, payload: dict) -> dict:
        delegated = "to_username" in payload
        return {"change_id": change_id, "backup_number": payload["backup_number"],
                "backup_id": payload["backup_id"],
                "owner_id": payload["to_owner_id" if delegated else "owner_id"],
                "owner_username": payload["to_username" if delegated else "owner_username"],
                "institution_code": payload["institution_code"], "unit_code": payload["unit_code"],
                "reason": "delegated" if delegated else "claimed",
                "how": None if delegated else payload["how"], "sequence": payload["sequence"],
                "changed_at": payload["delegated_at" if delegated else "claimed_at"]}


@pytest.fixture
def owner_events():
    return OwnerEvents()


class BackupsPublisher:
    """Plays the backups service: BackupSubmitted through a real event store, outbox and relay."""

    def __init__(self, url: str, amqp_uri: str):
        from hgrip_kernel.outbox_relay import OutboxRelay
        from hgrip_kernel.store import EventStore, create_engine

        self.engine = create_engine(url)
        self.amqp_uri = amqp_uri
        self.store = EventStore(self.engine, source="backups")
        self.relay = OutboxRelay(self.engine, amqp_uri)
        self.published_at: dict[str, float] = {}   # backup number → wall clock when relayed

    def submit(self, *payloads, correlation_id: str | None = None, relay: bool = True) -> list:
        return self.publish(*[("BackupSubmitted", payload, 0) for payload in payloads],
                            actor=payloads[0]["owner_id"], correlation_id=correlation_id, relay=relay)

    def publish(self, *events, actor: str | None = None, correlation_id: str | None = None,
                relay: bool = True) -> list:
        """``events``: (event type, payload, version the backup stream is at) — one unit of work."""
        from hgrip_kernel.events import DomainEvent

        stored = []
        with self.store.unit_of_work(actor=actor, correlation_id=correlation_id) as uow:
            for event_type, payload, version in events:
                stored += uow.append("backup", f"backup-{payload['backup_id']}", version,
                                     [DomainEvent(event_type, payload)])
        if relay:
            self.relay_all()
        return stored

    def relay_all(self) -> int:
        from hgrip_kernel.outbox_relay import outbox_messages

        with self.engine.connect() as connection:
            pending = outbox_messages(connection, unpublished_only=True)
        now = time.time()
        for message in pending:
            number = json.loads(message["body"])["data"]["backup_number"]
            if number:   # (an owner change of an unsubmitted backup has none)
                self.published_at.setdefault(number, now)
        return self.relay.relay_all()

    def message_of(self, event) -> dict:
        """The outbox message of one stored event (an Envelope ``publish`` returned)."""
        from hgrip_kernel.outbox_relay import outbox_messages

        with self.engine.connect() as connection:
            [message] = [m for m in outbox_messages(connection)
                         if json.loads(m["body"])["event_id"] == event.event_id]
        return message

    def send(self, event) -> None:
        """Put one stored event on the broker by hand, as the relay does — a first delivery of an
        event held back, or the same message again (a relay that crashed before marking its row)."""
        from kombu import Connection, Producer

        from hgrip_kernel.messaging.topology import events_exchange

        message = self.message_of(event)
        properties = dict(message["properties"])
        headers = properties.pop("application_headers")
        with Connection(self.amqp_uri) as connection:
            Producer(connection).publish(message["body"], exchange=events_exchange, headers=headers,
                                         routing_key=message["routing_key"], **properties)

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
