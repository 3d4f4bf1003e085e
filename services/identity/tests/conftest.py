"""A running IdentityService on a fresh, migrated PostgreSQL database and its own RabbitMQ vhost.

Fixtures live here because, under --import-mode=importlib, test modules cannot import helpers.
"""
import pytest
from sqlalchemy import create_engine, func, select

from hgrip_identity.entrypoints.service import IdentityService
from hgrip_kernel.store.tables import events

# Long enough for HS256 (RFC 7518 §3.2 wants >= 32 bytes).
TOKEN_SECRET = "identity-integration-test-secret-0123456789abcdef"


class RunningIdentity:
    def __init__(self, url, config, proxy_factory):
        self.url = url
        self.config = config
        self._proxy_factory = proxy_factory
        self.engine = create_engine(url)

    def rpc(self, **context):
        """``with identity.rpc() as cluster: cluster.identity.health()`` (context: e.g. correlation_id)."""
        return self._proxy_factory(**context)

    def events(self, stream_id=None):
        query = select(events).order_by(events.c.position)
        if stream_id:
            query = query.where(events.c.stream_id == stream_id)
        with self.engine.connect() as connection:
            return connection.execute(query).all()

    def count_events(self, event_type):
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(events)
                                      .where(events.c.event_type == event_type)).scalar_one()


@pytest.fixture
def run_identity(make_database, service_config, start_service, rpc_proxy):
    """``run_identity(**config) -> RunningIdentity`` (config overrides e.g. LOGIN_MAX_FAILURES)."""
    started = []

    def run(**overrides):
        url = make_database("identity")
        config = service_config("identity", url)
        config.update(TOKEN_SECRET=TOKEN_SECRET, **overrides)
        start_service(IdentityService, config)
        running = RunningIdentity(url, config, rpc_proxy)
        started.append(running)
        return running

    yield run
    for running in started:
        running.engine.dispose()


@pytest.fixture
def identity(run_identity):
    return run_identity()


@pytest.fixture
def ngdc():
    return {"code": "NGDC", "name": "国家基因组科学数据中心", "foreign": False,
            "units": [{"code": "U1", "name": "数据库部"}, {"code": "U2", "name": "技术部"}]}


@pytest.fixture
def zhang():
    return {"username": "zhangxh", "password": "Corr3ct-horse", "name": "张晓寒", "mobile": "13812345678",
            "role": "natural_person", "institution": "NGDC", "unit": "U1", "real_name_verified": True,
            "authorised": True, "authorised_at": "2023-06-27 11:26:27"}
