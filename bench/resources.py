"""Scratch PostgreSQL databases and RabbitMQ vhosts for one benchmark run, removed afterwards."""
import os
import uuid
from contextlib import contextmanager
from urllib.parse import quote

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN = os.environ.get("HGRIP_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
RABBIT_API = os.environ.get("HGRIP_BENCH_RABBIT_API", "http://127.0.0.1:15672/api")
RABBIT_AUTH = ("guest", "guest")
AMQP_BASE = os.environ.get("HGRIP_BENCH_AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672")


class Scratch:
    def __init__(self):
        self.databases, self.vhosts = [], []
        self._admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")

    def database(self, service: str | None = None) -> str:
        name = f"hgrip_bench_{uuid.uuid4().hex[:10]}"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.databases.append(name)
        url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        if service:
            from hgrip_kernel.cli.migrate import upgrade
            upgrade(service, url)
        else:
            from hgrip_kernel.store import create_engine as kernel_engine
            from hgrip_kernel.store.tables import metadata
            engine = kernel_engine(url)
            metadata.create_all(engine)
            engine.dispose()
        return url

    def vhost(self) -> str:
        name = f"hgrip-bench-{uuid.uuid4().hex[:8]}"
        requests.put(f"{RABBIT_API}/vhosts/{quote(name, safe='')}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
        requests.put(f"{RABBIT_API}/permissions/{quote(name, safe='')}/guest", auth=RABBIT_AUTH, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        self.vhosts.append(name)
        return f"{AMQP_BASE}/{name}"

    def close(self):
        with self._admin.connect() as connection:
            for name in self.databases:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()
        for name in self.vhosts:
            requests.delete(f"{RABBIT_API}/vhosts/{quote(name, safe='')}", auth=RABBIT_AUTH, timeout=10)


def empty_registry():
    """Bench events have no contract; an empty registry keeps the bench apart from the services' contracts."""
    from hgrip_kernel.contracts import EventRegistry
    registry = EventRegistry()
    registry._loaded = True
    return registry


@contextmanager
def scratch():
    resources = Scratch()
    try:
        yield resources
    finally:
        resources.close()
