"""``hgrip health SERVICE`` against the real PostgreSQL and RabbitMQ: 0 when both answer; 1, quickly and
with a one-line reason that names what failed (never a password), when either does not."""
import socket
import time

import pytest
from sqlalchemy.engine import make_url

from hgrip_kernel.cli.main import main


@pytest.fixture
def pointed_at(monkeypatch, pg_admin_url, amqp_uri):
    """Points identity (a service with a database) at the real servers; tests then spoil one address."""
    monkeypatch.setenv("HGRIP_IDENTITY_DATABASE_URL", pg_admin_url)
    monkeypatch.setenv("HGRIP_AMQP_URI", amqp_uri)
    return pg_admin_url, amqp_uri


def health(capsys, *argv) -> tuple[int, str, float]:
    started = time.monotonic()
    code = main(["health", *argv])
    return code, capsys.readouterr().out.strip(), time.monotonic() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_ok_when_the_database_and_the_broker_answer(pointed_at, capsys):
    code, out, _ = health(capsys, "identity")
    assert code == 0 and out.startswith("identity ok"), out


def test_a_wrong_database_port_fails_quickly_naming_the_database(pointed_at, monkeypatch, capsys):
    wrong = make_url(pointed_at[0]).set(port=free_port(), password="pg-s3cret")
    monkeypatch.setenv("HGRIP_IDENTITY_DATABASE_URL", wrong.render_as_string(hide_password=False))
    code, out, took = health(capsys, "identity")
    assert code == 1 and took < 5
    assert out.startswith("identity unhealthy: database ") and str(wrong.port) in out, out
    assert "\n" not in out and "pg-s3cret" not in out


def test_a_wrong_broker_port_fails_quickly_naming_the_broker(pointed_at, monkeypatch, capsys):
    monkeypatch.setenv("HGRIP_AMQP_URI", f"amqp://guest:mq-s3cret@127.0.0.1:{free_port()}/")
    for service in ("identity", "gateway"):   # the gateway has no database: the broker alone
        code, out, took = health(capsys, service)
        assert code == 1 and took < 5
        assert out.startswith(f"{service} unhealthy: broker ") and "[Errno 111]" in out, out   # refused
        assert "\n" not in out and "mq-s3cret" not in out


def test_a_server_that_never_answers_is_bounded_by_the_timeout(pointed_at, monkeypatch, capsys):
    with socket.socket() as silent:   # accepts connections (the kernel's backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("HGRIP_AMQP_URI", f"amqp://guest:guest@127.0.0.1:{silent.getsockname()[1]}/")
        code, out, took = health(capsys, "projects", "--timeout", "2")
    assert code == 1 and out.startswith("projects unhealthy: broker "), out
    assert took < 4, f"took {took:.1f} s with a 2 s budget"


def test_the_gateway_with_http_needs_its_own_port_to_answer(pointed_at, monkeypatch, capsys):
    monkeypatch.setenv("HGRIP_GATEWAY_ADDRESS", f"0.0.0.0:{free_port()}")
    code, out, _ = health(capsys, "gateway", "--http")
    assert code == 1 and out.startswith("gateway unhealthy: http "), out
