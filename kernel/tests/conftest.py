import pytest
from marshmallow import Schema, fields


class Counted(Schema):
    n = fields.Integer()


@pytest.fixture
def mixed_registry():
    """A registry of ``tests.Noted`` (off the broker) and ``tests.Made`` (on it); ``tests.Other``
    unregistered (on the broker, unchecked)."""
    from hgrip_kernel.contracts import EventRegistry
    registry = EventRegistry()
    registry.register("tests", "Noted", 1, on_broker=False)(Counted)
    registry.register("tests", "Made", 1)(Counted)
    registry._loaded = True
    return registry


@pytest.fixture
def mixed_store(store_url, mixed_registry):
    """An event store of source ``tests`` on ``mixed_registry``, on each backend."""
    from hgrip_kernel.store import EventStore, create_engine
    engine = create_engine(store_url)
    yield EventStore(engine, source="tests", registry=mixed_registry)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, sqlite_url, make_database):
    """The kernel runs on both backends: every store test runs on each."""
    if request.param == "sqlite":
        from hgrip_kernel.store import create_engine
        from hgrip_kernel.store.tables import metadata
        engine = create_engine(sqlite_url)
        metadata.create_all(engine)
        engine.dispose()
        return sqlite_url
    return make_database(None)
