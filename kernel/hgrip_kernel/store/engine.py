"""Engines for PostgreSQL (production) and SQLite (embedded default)."""
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy
import sqlalchemy.exc
from sqlalchemy import event
from sqlalchemy.engine import make_url

# SQLite engines' write locks, by engine (an engine that is garbage has no lock any more).
_WRITE_LOCKS: "weakref.WeakKeyDictionary[sqlalchemy.Engine, threading.RLock]" = weakref.WeakKeyDictionary()


def is_sqlite(engine_or_url) -> bool:
    url = engine_or_url.url if hasattr(engine_or_url, "url") else make_url(str(engine_or_url))
    return url.get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs) -> sqlalchemy.Engine:
    if is_sqlite(url):
        return _sqlite_engine(url, **kwargs)
    # No ping before every checkout (a round trip per transaction): a connection the server dropped
    # fails one call, the pool discards it, and callers (RPC clients, the relay, consumers) retry.
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return sqlalchemy.create_engine(url, **kwargs)


# SQLSTATE classes of a connection that is gone or refused: 08 connection exception, 57 operator
# intervention (57P01 admin_shutdown: the server is restarting). Deadlocks (40P01) and the like are not
# here: they are the caller's to retry as concurrency, the server itself is fine.
UNREACHABLE_SQLSTATE_CLASSES = ("08", "57")


def database_unreachable(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what caused it) says the PostgreSQL server cannot be reached or dropped the
    connection: the request may succeed once it is back, so callers answer 503 or retry later."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, sqlalchemy.exc.DBAPIError):
            if exc.connection_invalidated:
                return True
            # psycopg2's errors carry pgcode (None when no server answered); sqlite3's do not.
            if isinstance(exc, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)) \
                    and hasattr(exc.orig, "pgcode"):
                code = getattr(exc.orig, "pgcode", None)
                return code is None or code[:2] in UNREACHABLE_SQLSTATE_CLASSES
            return False
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _sqlite_engine(url: str, **kwargs) -> sqlalchemy.Engine:
    engine = sqlalchemy.create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Writers take the write lock up front: a deferred transaction upgrading later can fail
        # with "database is locked" instead of waiting.
        immediate = connection.get_execution_options().get("hgrip_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    # sqlite3 waits for a lock inside C, blocking every green thread of the process; so writers of
    # one process queue on a (green) lock and only other processes ever wait on SQLite's lock.
    _WRITE_LOCKS[engine] = threading.RLock()
    return engine


def write_lock(engine: sqlalchemy.Engine) -> "threading.RLock | None":
    """The process's write lock of a SQLite engine (None for PostgreSQL: its writers wait in the server)."""
    return _WRITE_LOCKS.get(engine)


@contextmanager
def single_statement(engine: sqlalchemy.Engine) -> Iterator[sqlalchemy.Connection]:
    """A connection for one read outside any unit of work. On PostgreSQL it runs in autocommit: one
    statement sees one snapshot anyway, so BEGIN and ROLLBACK would be two round trips for nothing
    (a hot path: registry-sync asks this once per batch). On SQLite, a plain connection."""
    with engine.connect() as connection:
        if not is_sqlite(engine):
            connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection
