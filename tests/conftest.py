"""Cross-service tests run the real platform: every service as its own process, real broker, real PostgreSQL."""
from pathlib import Path

import pytest
import requests

from hgrip_kernel.config import env_key
from hgrip_kernel.testing.platform import PLATFORM_SERVICES, Platform, free_port

ROOT = Path(__file__).resolve().parents[1]
DEMO_ACCOUNTS = ROOT / "deploy" / "demo-accounts.json"
DEMO_PASSWORD = "Demo-2026!"
HGRG_SECRET = "e2e-hgrg-shared-secret"


def launch(make_database, make_vhost, var: Path, backend: str = "postgresql", scale: dict | None = None):
    """Start every service (``scale`` gives some several processes) and the gateway; provision demo accounts."""
    from hgrip_standins.hgrg.provision import provision

    env = {"HGRIP_AMQP_URI": make_vhost(), "HGRIP_VAR": str(var),
           "HGRIP_GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}",
           "HGRIP_TOKEN_SECRET": "e2e-token-secret-long-enough-for-hs256",
           "HGRIP_HGRG_SHARED_SECRET": HGRG_SECRET, "HGRIP_RETRY_DELAY_MS": "200"}
    for service in PLATFORM_SERVICES:
        key = f"HGRIP_{env_key(service)}_DATABASE_URL"
        if backend == "postgresql":
            env[key] = make_database(service)
        else:  # the embedded default of `make run`: one SQLite file per service
            env[key] = f"sqlite:///{var / (service + '.sqlite')}"
    running = Platform(env, var / "logs")
    if backend != "postgresql":
        running.migrate(*PLATFORM_SERVICES)
    for service in (*PLATFORM_SERVICES, "gateway"):
        for n in range((scale or {}).get(service, 1)):
            running.start(service, instance=f"{service}-{n}" if n else None)
    try:
        running.wait_healthy()
        provision(DEMO_ACCOUNTS, running.gateway_url, HGRG_SECRET, timeout=60, log=lambda *_: None)
    except BaseException:
        running.stop_all()
        raise
    return running


@pytest.fixture(scope="module")
def platform(make_database, make_vhost, tmp_path_factory):
    running = launch(make_database, make_vhost, tmp_path_factory.mktemp("platform"))
    yield running
    running.stop_all()


class Client:
    """A user of the public API: logs in, then sends bearer requests."""

    def __init__(self, base: str, username: str | None = None):
        self.base = base
        self.session = requests.Session()
        if username:
            response = self.session.post(f"{base}/api/v1/auth/login",
                                         json={"username": username, "password": DEMO_PASSWORD}, timeout=20)
            assert response.status_code == 200, response.text
            self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def get(self, path, **kw):
        return self.session.get(self.base + path, timeout=kw.pop("timeout", 20), **kw)

    def post(self, path, **kw):
        return self.session.post(self.base + path, timeout=kw.pop("timeout", 20), **kw)


@pytest.fixture(scope="session")
def launch_platform(make_database, make_vhost):
    """``launch_platform(var_dir, backend="postgresql", scale=None) -> Platform`` (stop it yourself)."""
    return lambda var, **options: launch(make_database, make_vhost, var, **options)


@pytest.fixture(scope="session")
def client_class():
    return Client


@pytest.fixture(scope="module")
def client_for(platform):
    return lambda username=None: Client(platform.gateway_url, username)
