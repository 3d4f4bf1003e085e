"""The fault suite's fixtures: private servers (servers.py) and a platform running on them.

HGRIP_FAULT_KEEP=1 keeps the platform's logs (the path is printed) for a look after a failure.

``harness`` and ``servers`` are plain modules beside this file; the directory is put on sys.path so
the cases import them by name (pytest's importlib mode adds nothing to it).
"""
import importlib.util
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import servers  # noqa: E402


def pytest_collection_modifyitems(items):
    """A case is a whole platform under load through a fault (a kill of each process in turn: six
    takeovers); on a busy machine one takes close to pytest.ini's 300 s meant for a single test."""
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.timeout(900))


def _e2e_launch():
    """tests/conftest.py's ``launch`` (the platform as the end-to-end tests start it)."""
    spec = importlib.util.spec_from_file_location("hgrip_e2e_conftest", HERE.parent / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.launch


@pytest.fixture(scope="session")
def private_servers():
    """(PrivatePostgres, PrivateRabbit), both running; destroyed at the end of the session."""
    reason = servers.unavailable_reason()
    if reason:
        pytest.skip(reason)
    servers.reap_orphans()
    pg = rabbit = None
    try:
        pg = servers.PrivatePostgres()
        pg.start()
        rabbit = servers.PrivateRabbit()
        rabbit.start()
        yield pg, rabbit
    finally:
        if rabbit is not None:
            rabbit.destroy()
        if pg is not None:
            pg.destroy()


@pytest.fixture(scope="module")
def fault_platform(private_servers):
    """The whole platform on the private servers, for one module of cases."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from hgrip_kernel.cli.migrate import upgrade

    pg, rabbit = private_servers
    admin = create_engine(pg.url, isolation_level="AUTOCOMMIT")

    def make_database(service: str) -> str:
        name = f"hgrip_f_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(pg.url).set(database=name).render_as_string(hide_password=False)
        upgrade(service, url)
        return url

    # Not under pytest's basetemp: other runs on this machine rotate it away, logs and all.
    var = Path(tempfile.mkdtemp(prefix="hgrip-faults-"))
    running = _e2e_launch()(make_database, lambda: rabbit.make_vhost(), var)
    admin.dispose()
    running.pg, running.rabbit = pg, rabbit
    yield running
    running.stop_all()
    if os.environ.get("HGRIP_FAULT_KEEP"):
        print(f"\nfault platform's logs kept in {var / 'logs'}")
    else:
        shutil.rmtree(var, ignore_errors=True)
