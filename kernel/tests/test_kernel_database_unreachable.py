"""A database that is down or dropped its connections: RPC callers get ServiceUnavailable (503 at the
gateway), and an event waits for the database instead of spending its attempts on the dead letters."""
import pytest
from nameko.rpc import rpc
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hgrip_kernel.dead_letters import list_dead_letters
from hgrip_kernel.errors import ServiceUnavailable
from hgrip_kernel.events import DomainEvent
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, event_consumer, refusing_rpc
from hgrip_kernel.store import create_engine, database_unreachable
from hgrip_kernel.testing.fixtures import wait_until
from hgrip_kernel.testing.platform import free_port

UNREACHABLE = {"left": 0}
HANDLED = []


def unreachable_error() -> Exception:
    """A real one: psycopg2 refused by a port nobody listens on."""
    engine = create_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/postgres")
    try:
        with engine.connect():
            pass
    except Exception as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("connected to a closed port")


def test_refused_and_dropped_connections_are_unreachable(make_database):
    assert database_unreachable(unreachable_error())
    engine = create_engine(make_database(None))
    try:
        with engine.connect() as victim, engine.connect() as killer:  # the server ends a session (57P01)
            pid = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
            killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(Exception) as dropped:
                victim.execute(text("SELECT 1"))
        assert database_unreachable(dropped.value)
        with engine.begin() as connection:  # a refusal by a healthy server is not an outage
            connection.execute(text("CREATE TEMP TABLE t (id int PRIMARY KEY)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            with pytest.raises(IntegrityError) as duplicate:
                connection.execute(text("INSERT INTO t VALUES (1)"))
        assert not database_unreachable(duplicate.value)
    finally:
        engine.dispose()


def test_sqlite_errors_are_not_outages(sqlite_url):
    engine = create_engine(sqlite_url)
    with engine.connect() as connection, pytest.raises(Exception) as missing:
        connection.execute(text("SELECT * FROM no_such_table"))
    engine.dispose()
    assert not database_unreachable(missing.value) and not database_unreachable(RuntimeError("x"))


class StoreService:
    name = "store_service"
    store = EventStoreProvider(poll_interval=0.05)
    ctx = RequestContext()

    @refusing_rpc
    def read(self):
        raise unreachable_error()

    @rpc
    def make(self, stream_id):
        with self.store.unit_of_work(actor="tester") as uow:
            uow.append("thing", stream_id, 0, [DomainEvent("Made", {"n": 1})])

    @event_consumer("store_service", "Made")
    def on_made(self, envelope):
        if UNREACHABLE["left"] > 0:
            UNREACHABLE["left"] -= 1
            raise unreachable_error()
        HANDLED.append(envelope.stream_id)


@pytest.fixture
def service(make_database, service_config, start_service):
    UNREACHABLE["left"] = 0
    HANDLED.clear()
    # 3 attempts at most: the 6 outage failures below would dead-letter an ordinary failure.
    start_service(StoreService, service_config("store_service", make_database(None), MAX_DELIVERY_ATTEMPTS=3,
                                               RETRY_DELAY_MS=50))


def test_rpc_answers_service_unavailable_when_the_database_is_unreachable(service, rpc_proxy):
    with rpc_proxy() as cluster, pytest.raises(ServiceUnavailable) as refused:
        cluster.store_service.read()
    assert refused.value.code == "database_unavailable"
    assert refused.value.message and refused.value.message_zh
    assert refused.value.details["retry_after_seconds"] > 0


def test_an_event_waits_for_the_database_without_spending_its_attempts(service, rpc_proxy, amqp_uri):
    UNREACHABLE["left"] = 6
    with rpc_proxy() as cluster:
        cluster.store_service.make("s1")
    wait_until(lambda: HANDLED, timeout=20, message="handled once the database is back")
    assert HANDLED == ["s1"] and list_dead_letters(amqp_uri) == []
