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


@dataclass
class Plan:
    standins: list[ChildSpec] = field(default_factory=list)
    migrations: list[list[str]] = field(default_factory=list)   # one-shot, in order, before services
    services: list[ChildSpec] = field(default_factory=list)


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


def default_plan(scale: dict[str, int] | None = None, python: str = sys.executable, hgrip: str | None = None) -> Plan:
    hgrip = hgrip or hgrip_command()
    plan = Plan(
        standins=[ChildSpec("smtp-sink", [python, "-m", "hgrip_standins.smtp_sink"], "standins"),
                  ChildSpec("sms-sink", [python, "-m", "hgrip_standins.sms_sink"], "standins"),
                  ChildSpec("hgrg", [python, "-m", "hgrip_standins.hgrg", "serve"], "standins"),
                  ChildSpec("repositories", [python, "-m", "hgrip_standins.repositories"], "standins")],
        migrations=[[hgrip, "migrate"]])
    for service in SERVICES:
        count = (scale or {}).get(service, 1)
        for index in range(1, count + 1):
            name = service if count == 1 else f"{service}.{index}"
            # The gateway stops first, on its own: requests in flight finish while the services still answer.
            plan.services.append(ChildSpec(name, [hgrip, "serve", service], "gateway" if service == "gateway"
                                           else "services", env={"HGRIP_INSTANCE": str(index)}))
    return plan


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
    """A plan from JSON (`{"standins": [{"name", "argv", "env"?}], "migrations": [[…]], "services": […]}`).

    Lets a test, or someone debugging one service, swap in other commands without touching the runner.
    """
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))

    def specs(items, group):
        return [ChildSpec(item["name"], list(item["argv"]), group, dict(item.get("env", {}))) for item in items]

    return Plan(specs(data.get("standins", []), "standins"), [list(a) for a in data.get("migrations", [])],
                specs(data.get("services", []), "services"))
