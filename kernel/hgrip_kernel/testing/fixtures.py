"""pytest plugin (entry point ``hgrip``): real PostgreSQL databases and RabbitMQ vhosts for tests.

Registered before conftest files load, so the eventlet monkey patch happens here, first.
nameko's own plugin gives ``rabbit_config`` / ``amqp_uri`` (a fresh vhost per test) and
``container_factory``; this module points them at our broker and adds database fixtures.
"""
import warnings

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import time  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import create_engine as sa_create_engine  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from .servers import PostgresServer, RabbitServer  # noqa: E402


def pytest_configure(config):
    # Point nameko's --amqp-uri / --rabbit-ctl-uri options at the server we use (container or local).
    server = RabbitServer()
    amqp, ctl = server.start()
    config._hgrip_rabbit = server
    if config.getoption("AMQP_URI", None) in (None, "pyamqp://guest:guest@localhost"):
        config.option.AMQP_URI = amqp
    if config.getoption("RABBIT_CTL_URI", None) in (None, "http://guest:guest@localhost:15672"):
        config.option.RABBIT_CTL_URI = ctl
    config.addinivalue_line("markers", "slow: end-to-end or fault tests that start processes")


def _report_hangs() -> None:
    """pytest-timeout's thread method dumps the OS threads' stacks, but under eventlet every green
    thread shares one OS thread whose stack is just the hub's loop. Add each green thread's stack, and
    name the test last: a CI log often keeps only its tail."""
    import traceback

    import pytest_timeout

    from ..green_stacks import green_thread_stacks

    dump_threads, timer = pytest_timeout.dump_stacks, pytest_timeout.timeout_timer
    running = {}

    def dump_stacks(terminal):
        dump_threads(terminal)
        # The test's own green thread (the root one, without a parent) last, its innermost frames at the end.
        for name, stack in green_thread_stacks():
            terminal.sep("~", title=f"Stack of green thread {name}")
            terminal.write("".join(traceback.format_list(stack)))
        terminal.sep("+", title=f"Timeout in {running.get('nodeid', 'an unknown test')}")

    def timeout_timer(item, settings):
        running["nodeid"] = item.nodeid
        timer(item, settings)

    pytest_timeout.dump_stacks, pytest_timeout.timeout_timer = dump_stacks, timeout_timer


_report_hangs()


def pytest_unconfigure(config):
    server = getattr(config, "_hgrip_rabbit", None)
    if server:
        server.stop()


@pytest.fixture(scope="session")
def pg_admin_url():
    server = PostgresServer()
    url = server.start()
    yield url
    server.stop()


@pytest.fixture(scope="session")
def make_database(pg_admin_url):
    """``make_database(service=None) -> url``: a fresh PostgreSQL database, migrated for ``service``
    (Alembic, as in production) or holding just the kernel tables when service is None."""
    admin = sa_create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    created = []

    def make(service: str | None = None) -> str:
        name = f"hgrip_t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
        if service is None:
            from ..store import create_engine
            from ..store.tables import metadata
            engine = create_engine(url)
            metadata.create_all(engine)
            engine.dispose()
        else:
            from ..cli.migrate import upgrade
            upgrade(service, url)
        return url

    yield make
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migrated_database(make_database, tmp_path):
    """``migrated_database(service, dialect) -> url``: a fresh database migrated for ``service``, on
    PostgreSQL or in a SQLite file (for the code paths that differ between the two)."""
    def make(service: str, dialect: str) -> str:
        if dialect == "postgresql":
            return make_database(service)
        from ..cli.migrate import upgrade
        url = f"sqlite:///{tmp_path / (service.replace('-', '_') + '.sqlite')}"
        upgrade(service, url)
        return url

    return make


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'hgrip.sqlite'}"


@pytest.fixture
def service_config(amqp_uri, tmp_path):
    """``service_config(name, database_url=None, **extra) -> nameko config dict`` for a test."""
    from ..config import service_config as build

    def make(name: str, database_url: str | None = None, **extra) -> dict:
        defaults = dict(AMQP_URI=amqp_uri, VAR_DIR=str(tmp_path),
                        TOKEN_SECRET="test-token-secret-of-at-least-32-bytes",
                        HGRG_SHARED_SECRET="test-hgrg-shared-secret-of-32-bytes", RETRY_DELAY_MS=100,
                        MAX_DELIVERY_ATTEMPTS=3, WEB_SERVER_ADDRESS="127.0.0.1:0")
        config = build(name, **{**defaults, **extra})
        if database_url:
            config["DATABASE_URL"] = database_url
        return config

    return make


@pytest.fixture
def start_service(container_factory):
    """``start_service(ServiceClass, config) -> running container`` (stopped after the test)."""
    from ..nameko import register_rpc_errors
    register_rpc_errors()

    def start(service_cls, config):
        container = container_factory(service_cls, config)
        container.start()
        return container

    return start


@pytest.fixture
def rpc_proxy(amqp_uri):
    """``with rpc_proxy() as cluster: cluster.identity.health()`` — a standalone RPC client."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from ..nameko import register_rpc_errors
    register_rpc_errors()

    def make(timeout: float = 15, **context):
        return ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout, context_data=context or None)

    return make


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.05, message: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        eventlet.sleep(interval)


def inbox_rows(database_url: str) -> int:
    """How many events a service's database records as applied (its inbox), counted afresh."""
    from sqlalchemy import func, select

    from ..store import create_engine
    from ..store.tables import inbox
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(inbox)).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture(name="wait_until")
def wait_until_fixture():
    return wait_until


@pytest.fixture(scope="session")
def make_vhost(request):
    """``make_vhost() -> amqp uri`` of a fresh vhost that outlives one test (for process-level tests)."""
    from urllib.parse import quote, urlparse

    import requests

    ctl = urlparse(request.config.getoption("RABBIT_CTL_URI"))
    base = f"{ctl.scheme}://{ctl.hostname}:{ctl.port}/api"
    auth = (ctl.username or "guest", ctl.password or "guest")
    broker = urlparse(request.config.getoption("AMQP_URI"))
    made = []

    def make() -> str:
        name = f"hgrip-t-{uuid.uuid4().hex[:10]}"
        requests.put(f"{base}/vhosts/{quote(name, safe='')}", auth=auth, timeout=10).raise_for_status()
        requests.put(f"{base}/permissions/{quote(name, safe='')}/{auth[0]}", auth=auth, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        made.append(name)
        user, password = broker.username or "guest", broker.password or "guest"
        return f"amqp://{user}:{password}@{broker.hostname}:{broker.port or 5672}/{name}"

    yield make
    for name in made:
        requests.delete(f"{base}/vhosts/{quote(name, safe='')}", auth=auth, timeout=10)
