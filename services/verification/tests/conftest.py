"""Fixtures of the verification tests: the real SMTP sink and repositories stand-in (subprocesses on
free ports), the real SMS sink (in a thread of this process), the service on real PostgreSQL and
RabbitMQ, a queue capturing its events.

(conftest: under importlib mode test helpers cannot be imported from another test module.)
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import requests

from hgrip_kernel.testing.platform import free_port

SECRET = "test-token-secret-of-at-least-32-bytes"   # the kernel fixture's TOKEN_SECRET
MAIL_FROM = "hgrip-test@big.ac.cn"


class StandinProcess:
    """One stand-in module run as in production (`python -m …`), output to a log file."""

    def __init__(self, module: str, address_variable: str, var: Path, port: int | None = None, **env):
        self.module, self.address_variable, self.var = module, address_variable, var
        self.port = port or free_port()
        self.env = env
        self.process = None

    def start(self) -> "StandinProcess":
        env = {**os.environ, "HGRIP_VAR": str(self.var), self.address_variable: f"127.0.0.1:{self.port}",
               "PYTHONUNBUFFERED": "1", **self.env}
        self.var.mkdir(parents=True, exist_ok=True)
        with open(self.var / f"{self.module.rsplit('.', 1)[-1]}.log", "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", self.module], env=env, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.module} exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.module} not listening on {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class SmtpSink(StandinProcess):
    def __init__(self, var: Path):
        super().__init__("hgrip_standins.smtp_sink", "HGRIP_SMTP_ADDRESS", var)
        self.directory = var / "mail"

    def messages(self) -> list[dict]:
        """Index entries, each with the parsed message under "message"."""
        index = self.directory / "index.jsonl"
        if not index.exists():
            return []
        entries = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line]
        for entry in entries:
            entry["message"] = message_from_bytes((self.directory / entry["file"]).read_bytes(),
                                                  policy=policy.default)
        return entries


class RepositoriesStandin(StandinProcess):
    def __init__(self, var: Path):
        super().__init__("hgrip_standins.repositories", "HGRIP_REPOSITORIES_ADDRESS", var)
        self.url = f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: str, **extra) -> None:
        requests.post(f"{self.url}/repositories/control", json={"mode": mode, **extra},
                      timeout=5).raise_for_status()


class SmsSink:
    """The SMS sink stand-in served from a thread of the test process, on a port of its own; ``stop()``
    closes the port (a gateway that is down), ``start()`` serves the same port again."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None

    def start(self) -> "SmsSink":
        from hgrip_standins.common import start_in_thread
        from hgrip_standins.sms_sink import create_server

        self.server = create_server("127.0.0.1", self.port, directory=self.directory)
        start_in_thread(self.server)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def messages(self, mobile: str | None = None) -> list[dict]:
        """The stored messages, oldest first, as the sink wrote them (optionally those to one mobile)."""
        items = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(self.directory.glob("*.json"))]
        return [item for item in items if mobile is None or item["mobile"] == mobile]


@pytest.fixture
def sms_sink(tmp_path):
    sink = SmsSink(tmp_path / "sms").start()
    yield sink
    sink.stop()


@pytest.fixture
def code_in():
    """``code_in(message) -> str``: the 6-digit code of a mail (an email.message) or of a text message
    stored by the SMS sink (a dict), read as a person would (after 验证码为)."""
    def read(message) -> str:
        text = message["text"] if isinstance(message, dict) else message.get_content()
        match = re.search(r"验证码为[：\s](\d{6})", text)
        assert match, text
        return match.group(1)
    return read


@pytest.fixture
def outcomes():
    """``outcomes(replies, ok) -> list``: for each async RPC reply, ``ok`` if it succeeded, else the code
    of the refusal it raised."""
    from hgrip_kernel.errors import DomainError

    def collect(replies, ok) -> list:
        collected = []
        for reply in replies:
            try:
                reply.result()
                collected.append(ok)
            except DomainError as exc:
                collected.append(exc.code)
        return collected
    return collect


@pytest.fixture
def smtp_sink(tmp_path):
    sink = SmtpSink(tmp_path / "smtp").start()
    yield sink
    sink.stop()


@pytest.fixture
def repositories(tmp_path):
    standin = RepositoriesStandin(tmp_path / "repositories").start()
    yield standin
    standin.stop()


@pytest.fixture
def capture(amqp_uri):
    """``capture(routing_key) -> read()``: a queue bound to hgrip.events, declared before anything
    is published; ``read()`` drains it into a list of (routing key, envelope dict)."""
    from kombu import Connection, Queue

    from hgrip_kernel.messaging.topology import declare_topology, events_exchange

    def bind(routing_key: str):
        queue = Queue(f"test.capture.{uuid.uuid4().hex[:8]}", exchange=events_exchange,
                      routing_key=routing_key, durable=True)
        with Connection(amqp_uri) as connection:
            declare_topology(connection.default_channel)
            queue(connection.default_channel).declare()

        def read() -> list[tuple[str, dict]]:
            received = []
            with Connection(amqp_uri) as connection:
                bound = queue(connection.default_channel)
                while (message := bound.get(no_ack=True)) is not None:
                    received.append((message.delivery_info["routing_key"], json.loads(message.body)))
            return received

        return read

    return bind


class RunningVerification:
    def __init__(self, container, database_url, **standins):
        from nameko.testing.utils import get_extension
        from sqlalchemy import create_engine

        from hgrip_verification.entrypoints.dependencies import Clock

        self.container = container
        self.engine = create_engine(database_url)
        self.clock = get_extension(container, Clock)
        for name, standin in standins.items():   # smtp_sink, repositories, sms_sink
            setattr(self, name, standin)

    def rows(self, statement):
        with self.engine.connect() as connection:
            return connection.execute(statement).all()

    def recorded(self, *tables) -> list:
        """Every row of the events, the outbox and ``tables`` (empty when a call left no trace)."""
        from sqlalchemy import select

        from hgrip_kernel.store.tables import events, outbox

        return [row for table in (events, outbox, *tables) for row in self.rows(select(table))]


@pytest.fixture
def verification(make_database, service_config, start_service, smtp_sink, repositories):
    """The service wired to the real stand-ins; ``verification.clock.offset`` moves its time."""
    from hgrip_verification.entrypoints.service import VerificationService

    database_url = make_database("verification")
    config = service_config("verification", database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_sink.port),
                            MAIL_FROM=MAIL_FROM, REPOSITORIES_URL=repositories.url, REPOSITORIES_TIMEOUT=2,
                            SMTP_TIMEOUT=5)
    running = RunningVerification(start_service(VerificationService, config), database_url, smtp_sink=smtp_sink,
                                  repositories=repositories)
    yield running
    running.engine.dispose()


@pytest.fixture
def sms_verification(make_database, service_config, start_service, sms_sink):
    """The service wired to the real SMS sink (SMTP and repositories are not needed for SMS codes)."""
    from hgrip_verification.entrypoints.service import VerificationService

    database_url = make_database("verification")
    config = service_config("verification", database_url, SMS_URL=sms_sink.url, SMS_TIMEOUT=2)
    running = RunningVerification(start_service(VerificationService, config), database_url, sms_sink=sms_sink)
    yield running
    running.engine.dispose()


@pytest.fixture
def sms_payload():
    """A valid send_sms_code payload (a legacy claim); keyword arguments change fields."""
    def make(**changes) -> dict:
        payload = {"purpose": "legacy_claim", "subject": f"claim:{uuid.uuid4()}", "mobile": "13912345678",
                   "requester_name": "张晓寒"}
        payload.update(changes)
        return payload
    return make


@pytest.fixture
def send_payload():
    """A valid send_code payload (the manual's OMIX001226 case); keyword arguments change fields."""
    def make(**changes) -> dict:
        payload = {"file_id": str(uuid.uuid4()), "backup_id": str(uuid.uuid4()), "requester_name": "张晓寒",
                   "project_name": "三例样本（父母子）的测序数据开放共享备案", "repository": "OMIX",
                   "accession": "OMIX001226", "submission_account": "zhangxx@big.ac.cn"}
        payload.update(changes)
        return payload
    return make
