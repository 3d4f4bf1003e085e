"""The verification skeleton runs on the kernel: migrated database, RPC health over the broker."""
from sqlalchemy import create_engine, inspect

from hgrip_verification.service import VerificationService


def test_migration_creates_the_kernel_tables(make_database):
    engine = create_engine(make_database("verification"))
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version", "events", "outbox", "inbox"}
    finally:
        engine.dispose()


def test_health_queries_the_database(make_database, service_config, start_service, rpc_proxy):
    start_service(VerificationService, service_config("verification", make_database("verification")))
    with rpc_proxy() as cluster:
        assert cluster.verification.health() == {"service": "verification", "ok": True, "database": "ok"}


def test_health_reports_an_unreachable_database(pg_admin_url, service_config, start_service, rpc_proxy):
    missing = pg_admin_url.rsplit("/", 1)[0] + "/hgrip_no_such_database"
    start_service(VerificationService, service_config("verification", missing, RELAY_ENABLED=False))
    with rpc_proxy() as cluster:
        assert cluster.verification.health() == {"service": "verification", "ok": False,
                                                 "database": "unavailable"}
