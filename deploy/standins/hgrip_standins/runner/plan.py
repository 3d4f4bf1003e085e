"""What `hgrip-run` starts: the commands and the environment every child shares."""
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hgrip_standins.runner.supervisor import ChildSpec

SERVICES = ("identity", "projects", "backups", "verification", "registry-sync", "gateway")
# MAIL_WEB: the SMTP sink's inbox page (the SMS sink serves its page on its own address).
STANDIN_ADDRESSES = {"SMTP": "127.0.0.1:8025", "SMS": "127.0.0.1:8026", "MAIL_WEB": "127.0.0.1:8027",
                     "HGRG": "127.0.0.1:8030", "REPOSITORIES": "127.0.0.1:8040"}
# What a service appends to a stand-in's base URL itself (HGRG's URL names its mount point).
_URL_SUFFIX = {"HGRG": "/hgrg"}
# HGRG's feed: its downstream user and queue on the broker (`hgrip downstream add hgrg`), read by the
# Node consumer in deploy/standins/hgrg-feed (docs/protocols/feed.md).
FEED_USER = "hgrg"
FEED_SCRIPT = Path(__file__).resolve().parents[2] / "hgrg-feed" / "feed.js"


@dataclass
class Plan:
    standins: list[ChildSpec] = field(default_factory=list)
    migrations: list[list[str]] = field(default_factory=list)   # one-shot, in order, before services
    services: list[ChildSpec] = field(default_factory=list)
    # one-shot downstream setup after the migrations; the feed consumers start only if it all succeeded
    feed_setup: list[list[str]] = field(default_factory=list)
    feeds: list[ChildSpec] = field(default_factory=list)


def hgrip_command() -> str:
    """The `hgrip` script of this interpreter's environment, so `make run` works without activating it."""
    beside = Path(sys.executable).with_name("hgrip")
    return str(beside) if beside.exists() else (shutil.which("hgrip") or "hgrip")


def parse_scale(values: list[str]) -> dict[str, int]:
    scale = {}
    for value in values:
        name, _, count = value.partition("=")
        if name not in SERVICES or not count.isdigit() or int(count) < 1:
            raise ValueError(f"--scale expects <service>=<N≥1> with a service among {', '.join(SERVICES)}: {value!r}")
        scale[name] = int(count)
    return scale


def with_feed(plan: Plan, password_file: str, hgrip: str | None = None, node: str | None = None,
              user: str = FEED_USER) -> Plan:
    """HGRG's feed user and queue made once the databases are migrated (idempotent, so on every run),
    then its Node consumer. The password goes by file: never on a command line (`ps` shows those)."""
    plan.feed_setup.append([hgrip or hgrip_command(), "downstream", "add", user, "--password-file", password_file])
    plan.feeds.append(ChildSpec("hgrg-feed", [node or shutil.which("node") or "node", str(FEED_SCRIPT)], "standins",
                                env={"HGRIP_FEED_USER": user, "HGRIP_FEED_PASSWORD_FILE": password_file}))
    return plan


def default_plan(scale: dict[str, int] | None = None, python: str = sys.executable, hgrip: str | None = None) -> Plan:
    hgrip = hgrip or hgrip_command()
    plan = Plan(
        standins=[ChildSpec("smtp-sink", [python, "-m", "hgrip_standins.smtp_sink"], "standins"),
                  ChildSpec("sms-sink", [python, "-m", "hgrip_standins.sms_sink"], "standins"),
                  ChildSpec("hgrg", [python, "-m", "hgrip_standins.hgrg", "serve"], "standins"),
                  ChildSpec("repositories", [python, "-m", "hgrip_standins.repositories"], "standins")],
        migrations=[[hgrip, "migrate"]])
    for position, service in enumerate(SERVICES):
        count = (scale or {}).get(service, 1)
        for index in range(1, count + 1):
            name = service if count == 1 else f"{service}.{index}"
            # The gateway stops first, on its own: requests in flight finish while the services still answer.
            plan.services.append(ChildSpec(name, [hgrip, "serve", service], "gateway" if service == "gateway"
                                           else "services", env={"HGRIP_INSTANCE": str(index),
                                                                 **metrics_env(position, index)}))
    return plan


def metrics_env(position: int, instance: int) -> dict:
    """Each service process's metrics listener (hgrip_kernel.metrics_http): 127.0.0.1:9101 identity, 9102
    projects, 9103 backups, 9104 verification, 9105 registry-sync, 9106 gateway; a scaled service's
    instance N adds 10 × (N - 1) (projects.2: 9112). $HGRIP_METRICS_BASE_PORT moves the range (9101 by
    default); "off" starts none."""
    base = os.environ.get("HGRIP_METRICS_BASE_PORT", "9101")
    if base == "off":
        return {}
    return {"HGRIP_METRICS_ADDRESS": f"127.0.0.1:{int(base) + position + 10 * (instance - 1)}"}


def child_environment(base: dict | None = None) -> dict:
    """The runner's environment plus defaults that let services find the stand-ins.

    Anything already set wins: HGRIP_AMQP_URI, HGRIP_<SERVICE>_DATABASE_URL, … pass through untouched.
    HGRIP_VAR is made absolute so that every child, whatever its working directory, shares one var dir.
    """
    env = dict(os.environ if base is None else base)
    env["HGRIP_VAR"] = str(Path(env.get("HGRIP_VAR", "var")).resolve())
    env.setdefault("PYTHONUNBUFFERED", "1")   # lines reach the prefixer as they are written
    for kind, default in STANDIN_ADDRESSES.items():
        address = env.setdefault(f"HGRIP_{kind}_ADDRESS", default)
        host, _, port = address.rpartition(":")
        if kind == "SMTP":
            env.setdefault("HGRIP_SMTP_HOST", host)
            env.setdefault("HGRIP_SMTP_PORT", port)
        else:
            # HTTP stand-ins: HGRIP_SMS_URL (verification's SMS client), HGRIP_MAIL_WEB_URL, HGRIP_HGRG_URL,
            # HGRIP_REPOSITORIES_URL.
            env.setdefault(f"HGRIP_{kind}_URL", f"http://{_reachable(host)}:{port}" + _URL_SUFFIX.get(kind, ""))
    return env


def _reachable(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0") else host   # nosec B104 # a comparison, not a bind


def load_plan(path) -> Plan:
    """A plan from JSON (`{"standins": [{"name", "argv", "env"?}], "migrations": [[…]], "services": […],
    "feed_setup": [[…]], "feeds": […]}`).

    Lets a test, or someone debugging one service, swap in other commands without touching the runner.
    """
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))

    def specs(items, group):
        return [ChildSpec(item["name"], list(item["argv"]), group, dict(item.get("env", {}))) for item in items]

    return Plan(specs(data.get("standins", []), "standins"), [list(a) for a in data.get("migrations", [])],
                specs(data.get("services", []), "services"), [list(a) for a in data.get("feed_setup", [])],
                specs(data.get("feeds", []), "standins"))
