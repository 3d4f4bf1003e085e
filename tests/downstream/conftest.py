"""Downstream lanes on a private vhost: `hgrip downstream add` run for real against the broker's
management API, and the user it made removed afterwards (RabbitMQ users are global, not per vhost)."""
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import pytest
from kombu import Connection

from hgrip_kernel.cli.main import main as hgrip
from hgrip_kernel.messaging.topology import declare_topology


@dataclass
class Lane:
    name: str
    password: str
    queue: str
    host: str
    port: int
    vhost: str

    @property
    def amqp_uri(self) -> str:
        return f"amqp://{self.name}:{self.password}@{self.host}:{self.port}/{self.vhost}"


@pytest.fixture
def management_url(request) -> str:
    return request.config.getoption("RABBIT_CTL_URI")


@pytest.fixture
def downstream_cli(amqp_uri, management_url, monkeypatch):
    """``hgrip downstream ARGS…`` on the test's vhost as the administrator; the password by env."""
    def run(*args: str, password: str | None = None) -> int:
        if password is not None:
            monkeypatch.setenv("HGRIP_DOWNSTREAM_PASSWORD", password)
        return hgrip(["downstream", "--amqp-uri", amqp_uri, "--management-url", management_url, *args])
    return run


@pytest.fixture
def make_lane(amqp_uri, downstream_cli):
    """``make_lane() -> Lane``: the platform's topology declared (as services do), then a downstream
    system with a unique name given its lane by the real command."""
    with Connection(amqp_uri) as connection:
        declare_topology(connection.default_channel)
    made = []
    broker = urlparse(amqp_uri)

    def make(*extra: str) -> Lane:
        name = f"t-{uuid.uuid4().hex[:10]}"
        password = uuid.uuid4().hex
        assert downstream_cli("add", name, *extra, password=password) == 0
        made.append(name)
        return Lane(name, password, f"hgrip.downstream.{name}", broker.hostname or "127.0.0.1",
                    broker.port or 5672, unquote(broker.path[1:]))

    yield make
    for name in made:
        downstream_cli("remove", name)
