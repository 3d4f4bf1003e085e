"""Fixtures of the verification tests: the real SMTP sink and repositories stand-in (subprocesses on
free ports), the service on real PostgreSQL and RabbitMQ, a queue capturing its events.

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
        log = open(self.var / f"{self.module.rsplit('.', 1)[-1]}.log", "ab")
        self.process = subprocess.Popen([sys.executable, "-m", self.module], env=env, stdout=log,
                                        stderr=subprocess.STDOUT)
        log.close()
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


@pytest.fixture
def code_in():
    """``code_in(message) -> str``: the 6-digit code of a mail, read as a person would (after 验证码为)."""
    def read(message) -> str:
        match = re.search(r"您的验证码为：(\d{6})", message.get_content())
        assert match, message.get_content()
        return match.group(1)
    return read


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
    from hgrip_kernel.messaging.topology import declare_topology, events_exchange
    from kombu import Connection, Queue

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
    def __init__(self, container, database_url, smtp_sink, repositories):
        from hgrip_verification.dependencies import Clock
        from nameko.testing.utils import get_extension
        from sqlalchemy import create_engine

        self.container = container
        self.engine = create_engine(database_url)
        self.clock = get_extension(container, Clock)
        self.smtp_sink = smtp_sink
        self.repositories = repositories

    def rows(self, statement):
        with self.engine.connect() as connection:
            return connection.execute(statement).all()


@pytest.fixture
def verification(make_database, service_config, start_service, smtp_sink, repositories):
    """The service wired to the real stand-ins; ``verification.clock.offset`` moves its time."""
    from hgrip_verification.service import VerificationService

    database_url = make_database("verification")
    config = service_config("verification", database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_sink.port),
                            MAIL_FROM=MAIL_FROM, REPOSITORIES_URL=repositories.url, REPOSITORIES_TIMEOUT=2,
                            SMTP_TIMEOUT=5)
    running = RunningVerification(start_service(VerificationService, config), database_url, smtp_sink,
                                  repositories)
    yield running
    running.engine.dispose()


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
