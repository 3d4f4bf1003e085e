"""``single_statement``: one read outside any unit of work, without a transaction around it on
PostgreSQL (no BEGIN and ROLLBACK round trips), and the pooled connection given back as it was."""
from sqlalchemy import text

from hgrip_kernel.store import create_engine
from hgrip_kernel.store.engine import single_statement

STATE = text("SELECT state FROM pg_stat_activity WHERE pid = :pid")


def test_a_read_leaves_no_transaction_open_and_the_pool_gets_its_connection_back_unchanged(make_database):
    url = make_database(None)
    engine = create_engine(url, pool_size=1, max_overflow=0)   # one connection, reused
    watching = create_engine(url, isolation_level="AUTOCOMMIT")   # a fresh look at pg_stat_activity each time
    try:
        with engine.begin() as setup:
            setup.execute(text("CREATE TABLE numbers (number TEXT PRIMARY KEY)"))
            setup.execute(text("INSERT INTO numbers VALUES ('BF2026120400001')"))
        with watching.connect() as watcher:
            with single_statement(engine) as connection:
                pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
                assert connection.execute(text("SELECT number FROM numbers")).scalars().all() == ["BF2026120400001"]
                # Between statements the session is idle, not "idle in transaction": nothing to end.
                assert watcher.execute(STATE, {"pid": pid}).scalar_one() == "idle"
            with engine.connect() as connection:   # the same connection, in a transaction again
                assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
                connection.execute(text("INSERT INTO numbers VALUES ('BF2026120400002')"))
                assert watcher.execute(STATE, {"pid": pid}).scalar_one() == "idle in transaction"
                connection.rollback()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM numbers")).scalar_one() == 1
    finally:
        engine.dispose()
        watching.dispose()


def test_on_sqlite_it_is_a_plain_connection(sqlite_url):
    engine = create_engine(sqlite_url)
    try:
        with engine.begin() as setup:
            setup.execute(text("CREATE TABLE numbers (number TEXT PRIMARY KEY)"))
            setup.execute(text("INSERT INTO numbers VALUES ('BF2026120400001')"))
        with single_statement(engine) as connection:
            assert connection.execute(text("SELECT number FROM numbers")).scalars().all() == ["BF2026120400001"]
    finally:
        engine.dispose()
