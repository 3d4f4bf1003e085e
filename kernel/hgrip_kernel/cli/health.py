"""``hgrip health SERVICE``: exit 0 only when this service's database answers and the broker accepts a
connection; exit 1 with a one-line reason otherwise. The Kubernetes probes and the container
healthcheck run it (docs/operations.md, "What the probes check").

It checks what this process's configuration can reach, not the service's ``health()`` RPC: any instance
may answer an RPC, so its answer says nothing about the pod that asked. Nothing is created: no secret
file, no database (``hgrip migrate`` does that). kombu and SQLAlchemy are imported when the command
runs, not with the CLI (see the note in ``deadletters.py``).
"""
import os
import time

from ..config import DEFAULT_AMQP_URI, SERVICES, database_url
from .parsers import add_command

BUDGET_SECONDS = 5.0   # both checks together; a probe's timeoutSeconds leaves room for the start-up
GATEWAY = "gateway"


class Unhealthy(Exception):
    """What failed, in one line, without a password."""


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise Unhealthy("no time left for this check")
    return left


def check_database(service: str, deadline: float) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    url = make_url(database_url(service))
    postgres = url.get_backend_name() == "postgresql"
    left = _left(deadline)
    # libpq counts whole seconds (2 at least); the statement timeout bounds a server that accepts and hangs.
    connect_args = {"connect_timeout": max(2, int(left))} if postgres else {"timeout": left}
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            if postgres:
                connection.execute(text(f"SET statement_timeout = {int(_left(deadline) * 1000)}"))
            connection.execute(text("SELECT 1"))
    except Unhealthy:
        raise
    except Exception as error:
        raise Unhealthy(f"database {url.render_as_string(hide_password=True)}: {_first_line(error)}") from error
    finally:
        engine.dispose()


def check_broker(amqp_uri: str, deadline: float) -> None:
    from kombu import Connection

    left = _left(deadline)
    try:
        with Connection(amqp_uri, connect_timeout=left) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=left)
    except Exception as error:
        raise Unhealthy(f"broker {_safe(amqp_uri)}: {_first_line(error)}") from error


def check_http(address: str, deadline: float) -> None:
    """The gateway's own HTTP port answers (its OpenAPI document: no RPC, so one slow service does not
    take every gateway out of its Service too); a draining gateway answers 503 and leaves readiness."""
    import urllib.request

    port = address.rsplit(":", 1)[-1]
    url = f"http://127.0.0.1:{port}/api/v1/openapi.json"
    try:
        with urllib.request.urlopen(url, timeout=_left(deadline)) as answer:  # nosec B310 # a fixed http URL
            if answer.status != 200:
                raise Unhealthy(f"http {url}: status {answer.status}")
    except Unhealthy:
        raise
    except Exception as error:
        raise Unhealthy(f"http {url}: {_first_line(error)}") from error


def check(service: str, budget: float = BUDGET_SECONDS, http: bool = False) -> None:
    """Raises Unhealthy naming the first check that failed; all of them within ``budget`` seconds."""
    deadline = time.monotonic() + budget
    if service in SERVICES:
        check_database(service, deadline)
    check_broker(os.environ.get("HGRIP_AMQP_URI", DEFAULT_AMQP_URI), deadline)
    if http:
        check_http(os.environ.get("HGRIP_GATEWAY_ADDRESS", "127.0.0.1:8000"), deadline)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def _safe(uri: str) -> str:
    from kombu.utils.url import maybe_sanitize_url
    return maybe_sanitize_url(uri)


def _run(args) -> int:
    started = time.monotonic()
    try:
        check(args.service, args.timeout, http=args.http)
    except Unhealthy as reason:
        print(f"{args.service} unhealthy: {reason}", flush=True)
        return 1
    print(f"{args.service} ok ({time.monotonic() - started:.2f} s)", flush=True)
    return 0


def register(commands) -> None:
    names = (*SERVICES, GATEWAY)
    parser = add_command(
        commands, "health", "check that a service can reach its database and the broker",
        "Exits 0 only if the service's database ($HGRIP_<SERVICE>_DATABASE_URL) answers SELECT 1 and the "
        "broker ($HGRIP_AMQP_URI) accepts a connection, within --timeout seconds in all; otherwise exits 1 "
        "and prints one line saying what failed (no password). The gateway has no database: the broker "
        "only, and with --http its own HTTP port ($HGRIP_GATEWAY_ADDRESS). Changes nothing. The "
        "Kubernetes readiness and liveness probes and the container healthcheck run it "
        "(docs/operations.md).")
    parser.add_argument("service", choices=names, metavar="SERVICE",
                        help=f"the service whose configuration is checked: {', '.join(names)}")
    parser.add_argument("--timeout", type=float, default=BUDGET_SECONDS,
                        help="seconds for all the checks together (default: %(default)s)")
    parser.add_argument("--http", action="store_true",
                        help="also GET /api/v1/openapi.json on the gateway's own port (gateway only)")
    parser.set_defaults(handler=_run)
