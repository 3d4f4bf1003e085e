import pytest


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
