"""Cross-service tests run the real platform: every service as its own process, real broker, real PostgreSQL."""
import email
import email.policy
import json
import re
from pathlib import Path

import pytest
import requests

from hgrip_kernel.config import env_key
from hgrip_kernel.testing.platform import PLATFORM_SERVICES, Platform, free_port

ROOT = Path(__file__).resolve().parents[1]
DEMO_ACCOUNTS = ROOT / "deploy" / "demo-accounts.json"
DEMO_PASSWORD = "Demo-2026!"
HGRG_SECRET = "e2e-hgrg-shared-secret"


def platform_env(make_database, make_vhost, var: Path, backend: str = "postgresql") -> dict:
    """A private platform's environment: its own ports, broker vhost, databases and var dir."""
    hgrg, repositories, smtp, mail_web, sms, gateway = (f"127.0.0.1:{free_port()}" for _ in range(6))
    env = {"HGRIP_AMQP_URI": make_vhost(), "HGRIP_VAR": str(var),
           "HGRIP_GATEWAY_ADDRESS": gateway,
           "HGRIP_PLATFORM_URL": f"http://{gateway}",   # where the HGRG stand-in sends filing numbers
           "HGRIP_TOKEN_SECRET": "e2e-token-secret-long-enough-for-hs256",
           "HGRIP_HGRG_SHARED_SECRET": HGRG_SECRET, "HGRIP_RETRY_DELAY_MS": "200",
           # the stand-ins, on ports of their own, and where the services find them
           "HGRIP_HGRG_ADDRESS": hgrg, "HGRIP_HGRG_URL": f"http://{hgrg}/hgrg",
           "HGRIP_REPOSITORIES_ADDRESS": repositories, "HGRIP_REPOSITORIES_URL": f"http://{repositories}",
           "HGRIP_SMTP_ADDRESS": smtp, "HGRIP_SMTP_HOST": smtp.split(":")[0], "HGRIP_SMTP_PORT": smtp.split(":")[1],
           "HGRIP_MAIL_WEB_ADDRESS": mail_web,   # the SMTP sink's inbox page
           "HGRIP_SMS_ADDRESS": sms, "HGRIP_SMS_URL": f"http://{sms}"}
    for service in PLATFORM_SERVICES:
        key = f"HGRIP_{env_key(service)}_DATABASE_URL"
        if backend == "postgresql":
            env[key] = make_database(service)
        else:  # the embedded default of `make run`: one SQLite file per service
            env[key] = f"sqlite:///{var / (service + '.sqlite')}"
    return env


def launch(make_database, make_vhost, var: Path, backend: str = "postgresql", scale: dict | None = None):
    """Start every service (``scale`` gives some several processes) and the gateway; provision demo accounts."""
    from hgrip_standins.hgrg.provision import provision

    env = platform_env(make_database, make_vhost, var, backend)
    running = Platform(env, var / "logs")
    running.hgrg_url = env["HGRIP_HGRG_URL"]
    # The sinks' inbox pages, where a person (or a browser test) reads the codes the platform sends.
    running.mail_url, running.sms_url = f"http://{env['HGRIP_MAIL_WEB_ADDRESS']}/", f"http://{env['HGRIP_SMS_ADDRESS']}/"
    for name, module, args in (("hgrg", "hgrip_standins.hgrg", ["serve"]),
                               ("repositories", "hgrip_standins.repositories", []),
                               ("smtp-sink", "hgrip_standins.smtp_sink", []),
                               ("sms-sink", "hgrip_standins.sms_sink", [])):
        running.start_standin(name, module, *args)
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

    def request(self, method, path, **kw):
        return self.session.request(method, self.base + path, timeout=kw.pop("timeout", 20), **kw)

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


class Mailbox:
    """What the SMTP sink of a running platform received (its index and .eml files)."""

    def __init__(self, platform):
        self.index = Path(platform.env["HGRIP_VAR"]) / "mail" / "index.jsonl"

    def to(self, address: str) -> list:
        if not self.index.exists():
            return []
        found = []
        for line in self.index.read_text().splitlines():
            entry = json.loads(line) if line.strip() else None
            if entry and address in json.dumps(entry.get("to")):
                path = Path(entry["file"])
                path = path if path.is_absolute() else self.index.parent / path
                found.append(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
        return found

    @staticmethod
    def body(message) -> str:
        return message.get_body(preferencelist=("plain", "html")).get_content()

    def latest_code(self, address: str) -> str | None:
        mails = self.to(address)
        found = re.search(r"验证码为[：:]\s*(\d{6})", self.body(mails[-1])) if mails else None
        return found.group(1) if found else None


@pytest.fixture(scope="module")
def mailbox(platform):
    return Mailbox(platform)


def sms_to(platform, mobile: str) -> list[dict]:
    """What the SMS sink of a running platform received for ``mobile``, oldest first."""
    answer = requests.get(f"http://{platform.env['HGRIP_SMS_ADDRESS']}/sms/messages",
                          params={"mobile": mobile}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


@pytest.fixture(scope="module")
def sms_code_for(platform):
    """``sms_code_for(mobile) -> the 6-digit code of the latest SMS to it, or None``."""
    def latest(mobile):
        messages = sms_to(platform, mobile)
        found = re.search(r"(\d{6})", messages[-1]["text"]) if messages else None
        return found.group(1) if found else None
    return latest
