"""The registry-sync skeleton runs on the kernel; its nameko name keeps the dash."""
import pytest
from sqlalchemy import create_engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from hgrip_registry_sync.projections import sync_states
from hgrip_registry_sync.service import RegistrySyncService


@pytest.fixture
def engine(make_database):
    engine = create_engine(make_database("registry-sync"))
    yield engine
    engine.dispose()


def test_migration_creates_kernel_tables_and_sync_states(engine):
    assert set(inspect(engine).get_table_names()) == {"alembic_version", "events", "outbox", "inbox",
                                                      "sync_states"}
    columns = {column["name"] for column in inspect(engine).get_columns("sync_states")}
    assert columns == {"backup_number", "state", "attempts", "last_error", "synced_at"}


def test_sync_state_defaults_and_allowed_states(engine):
    with engine.begin() as connection:
        connection.execute(insert(sync_states).values(backup_number="BF2023062816036"))
        row = connection.execute(select(sync_states)).one()
    assert (row.state, row.attempts, row.last_error, row.synced_at) == ("pending", 0, None, None)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(sync_states).values(backup_number="BF2023062816037", state="lost"))


def test_health_over_rpc_under_the_dashed_name(engine, service_config, start_service, rpc_proxy):
    url = engine.url.render_as_string(hide_password=False)
    start_service(RegistrySyncService, service_config("registry-sync", url))
    with rpc_proxy() as cluster:
        assert cluster["registry-sync"].health() == {"service": "registry-sync", "ok": True,
                                                     "database": "ok"}
