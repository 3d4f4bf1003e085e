"""The images and docker-compose.yml, run for real with podman and podman-compose (issue 13 items 1, 2).

`make test-deploy` builds the images (deploy/scripts/build-images.sh: every service, the gateway with the
web application, the stand-ins, and RabbitMQ/PostgreSQL/Redis from Debian's packages on a debootstrapped
debian:bookworm-slim), then runs this module, which brings the stack up as the project `hgrip-test` with
its ports on 127.0.0.1 and checks, in order: every container healthy (its own HEALTHCHECK, run by
`podman healthcheck run`: no systemd here to run it on a timer); the images' promises (non-root,
`hgrip` as PID 1, no secret in the image); the manual's example over HTTP with the number at the HGRG
stand-in; backups and registry-sync at three instances each, one of each killed, and submissions going
on with no loss or duplicate; the whole stack stopped and started, every backup still there.
The tests share one stack and run in file order. Teardown removes the containers, network and volumes.
"""
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

pytestmark = [pytest.mark.container, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / ".venv-containers" / "bin" / "podman-compose"
PROJECT_NAME = "hgrip-test"
PLATFORM = ("identity", "projects", "backups", "verification", "registry-sync", "gateway")
IMAGES = (*(f"hgrip/{s}:dev" for s in PLATFORM), "hgrip/standins:dev",
          *(f"localhost/hgrip/{s}:dev" for s in ("postgres", "rabbitmq", "redis")))
FILE = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
        "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
PROJECT = {"pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}
RESEARCHER = {"username": "zhangxiaohan", "password": "Demo-2026!"}
SECRET_WORDS = ("SECRET", "PASSWORD", "DATABASE_URL", "AMQP_URI", "TOKEN")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*argv: str, timeout: float = 300, check: bool = True, env: dict | None = None) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {done.returncode}:\n"
                             f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


class Stack:
    """docker-compose.yml under podman-compose, as the project hgrip-test on 127.0.0.1 and free ports."""

    def __init__(self):
        self.ports = {name: free_port() for name in
                      ("GATEWAY", "RABBITMQ_UI", "SMTP", "MAIL_WEB", "SMS", "HGRG", "REPOSITORIES")}
        self.env = {**os.environ, "HGRIP_BIND": "127.0.0.1",
                    "HGRIP_RABBITMQ_IMAGE": "localhost/hgrip/rabbitmq:dev",
                    "HGRIP_POSTGRES_IMAGE": "localhost/hgrip/postgres:dev",
                    "HGRIP_REDIS_IMAGE": "localhost/hgrip/redis:dev",
                    **{f"HGRIP_PORT_{name}": str(port) for name, port in self.ports.items()}}
        self.base = f"http://127.0.0.1:{self.ports['GATEWAY']}/api/v1"

    def compose(self, *args: str, timeout: float = 600) -> str:
        return run(str(COMPOSE), "-p", PROJECT_NAME, "-f", "docker-compose.yml", *args, timeout=timeout, env=self.env)

    def remove(self) -> None:
        """Every container of the project (scaled ones too, which `podman-compose down` leaves), newest
        first (a container requires those it depends on), then its network and volumes."""
        for _ in range(3):
            names = run("podman", "ps", "--all", "--sort", "created", "--format", "{{.Names}}",
                        "--filter", f"label=io.podman.compose.project={PROJECT_NAME}").split()
            if not names:
                break
            run("podman", "rm", "--force", "--volumes", "--time", "5", *reversed(names), timeout=600, check=False)
        run("podman", "network", "rm", "--force", f"{PROJECT_NAME}_default", check=False)
        volumes = run("podman", "volume", "ls", "--quiet",
                      "--filter", f"label=io.podman.compose.project={PROJECT_NAME}").split()
        if volumes:
            run("podman", "volume", "rm", "--force", *volumes)

    def containers(self, service: str | None = None, running: bool = True) -> list[str]:
        argv = ["podman", "ps", "--format", "{{.Names}}", "--filter", f"label=io.podman.compose.project={PROJECT_NAME}"]
        if service:
            argv += ["--filter", f"label=com.docker.compose.service={service}"]
        if not running:
            argv.append("--all")
        return sorted(run(*argv).split())

    def wait_healthy(self, timeout: float = 420) -> None:
        """Every running container's own HEALTHCHECK passes (provision is a one-shot without one)."""
        deadline = time.monotonic() + timeout
        pending = [c for c in self.containers() if "_provision_" not in c]
        while pending and time.monotonic() < deadline:
            pending = [c for c in pending
                       if subprocess.run(["podman", "healthcheck", "run", c], capture_output=True,
                                         timeout=60).returncode != 0]
            if pending:
                time.sleep(3)
        assert not pending, f"not healthy within {timeout}s: {pending}"

    def provision(self) -> None:
        """The demo accounts. podman 4.3 cannot wait on health (podman-compose then ignores
        `condition: service_healthy`), so the one-shot may have given up before the gateway could answer:
        it is run again now that everything is healthy (it is idempotent)."""
        [container] = self.containers("provision", running=False)
        run("podman", "start", container)
        assert run("podman", "wait", container, timeout=400).strip() == "0", run("podman", "logs", container)

    def token(self) -> str:
        reply = requests.post(f"{self.base}/auth/login", json=RESEARCHER, timeout=30)
        assert reply.status_code == 200, reply.text
        return reply.json()["access_token"]

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token()}"
        return session

    def received(self) -> list[str]:
        """Every backup number the HGRG stand-in has received, one line each, from its journal."""
        [hgrg] = self.containers("hgrg")
        text = run("podman", "exec", hgrg, "sh", "-c", "cat /var/lib/hgrip/hgrg/received.jsonl 2>/dev/null || true")
        return [json.loads(line)["backup_number"] for line in text.splitlines() if line.strip()]

    def wait_received(self, numbers: set[str], timeout: float = 120) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            received = self.received()
            if numbers <= set(received) or time.monotonic() > deadline:
                return received
            time.sleep(1)


def ready_backup(session: requests.Session, base: str, project_id: str, name: str) -> str:
    backup = session.post(f"{base}/projects/{project_id}/backups", json={"name": name, "categories": ["wgs"]},
                          timeout=60)
    assert backup.status_code == 201, backup.text
    added = session.post(f"{base}/backups/{backup.json()['id']}/files", json=FILE, timeout=60)
    assert added.status_code == 201, added.text
    return backup.json()["id"]


def submit(session: requests.Session, base: str, backup_id: str, attempts: int = 5) -> str:
    """A client's submit: retried on a failed connection or a 5xx, as any client would; the platform makes
    the retry safe (a submitted backup answers with the number it already has)."""
    for attempt in range(attempts):
        try:
            reply = session.post(f"{base}/backups/{backup_id}/submit", timeout=60)
        except requests.ConnectionError:
            reply = None
        if reply is not None and reply.status_code == 200:
            return reply.json()["backup_number"]
        if reply is not None and reply.status_code < 500:
            raise AssertionError(f"submit {backup_id}: {reply.status_code} {reply.text}")
        time.sleep(2 * (attempt + 1))
    raise AssertionError(f"submit {backup_id}: no answer after {attempts} attempts")


@pytest.fixture(scope="module")
def stack():
    if not COMPOSE.exists() or not shutil.which("podman"):
        pytest.fail("podman or podman-compose missing: run `make container-tools`")
    missing = [i for i in IMAGES if subprocess.run(["podman", "image", "exists", i]).returncode != 0]
    if missing:
        pytest.fail(f"images missing: {missing}: run deploy/scripts/build-images.sh (make test-deploy does)")
    stack = Stack()
    stack.remove()                                # leftovers of a run killed before its teardown
    try:
        stack.compose("up", "-d", "--no-build")
        stack.wait_healthy()
        stack.provision()
        stack.project = stack.session().post(f"{stack.base}/projects", timeout=60,
                                             json={**PROJECT, "name": f"containers-{uuid.uuid4().hex[:8]}"}).json()
        stack.submitted = {}                      # backup id -> number, over every test
        yield stack
    finally:
        stack.remove()


def test_images_are_non_root_with_hgrip_as_pid_1_a_healthcheck_and_no_secret(stack):
    for service in PLATFORM:
        inspected = json.loads(run("podman", "image", "inspect", f"hgrip/{service}:dev"))[0]
        image = inspected["Config"]
        assert image["User"] == "hgrip" and inspected["Healthcheck"]["Test"][0] == "CMD", service
        assert not [e for e in image.get("Env", []) if any(w in e.split("=")[0] for w in SECRET_WORDS)], service
        history = run("podman", "history", "--no-trunc", "--format", "{{.CreatedBy}}", f"hgrip/{service}:dev")
        assert "index-url" not in history and "PIP_INDEX" not in history, service
        [container] = stack.containers(service)[:1]
        assert run("podman", "exec", container, "id", "-u").strip() == "10001"
        pid1 = run("podman", "exec", container, "cat", "/proc/1/cmdline").split("\0")
        assert "serve" in pid1 and service in pid1 and any(p.endswith("hgrip") for p in pid1), pid1
    standins = json.loads(run("podman", "image", "inspect", "hgrip/standins:dev"))[0]["Config"]
    assert standins["User"] == "hgrip"
    # The gateway serves the built web application.
    page = requests.get(stack.base.removesuffix("/api/v1") + "/", timeout=30)
    assert page.status_code == 200 and "<div id=" in page.text, page.text[:300]


def test_the_manual_example_over_http_reaches_hgrg(stack):
    session = stack.session()
    backup_id = ready_backup(session, stack.base, stack.project["id"], "manual-example")
    number = submit(session, stack.base, backup_id)
    stack.submitted[backup_id] = number
    assert stack.wait_received({number}).count(number) == 1


def test_scaled_to_three_one_killed_no_loss_or_duplicate(stack):
    stack.compose("up", "-d", "--no-build", "--scale", "backups=3")
    stack.compose("up", "-d", "--no-build", "--scale", "registry-sync=3")
    for service in ("backups", "registry-sync"):
        assert len(stack.containers(service)) == 3, stack.containers(service)
    stack.wait_healthy()
    session = stack.session()
    ids = [ready_backup(session, stack.base, stack.project["id"], f"scaled-{i}") for i in range(24)]
    for service in ("backups", "registry-sync"):
        run("podman", "kill", "--signal", "KILL", stack.containers(service)[-1])

    def one(backup_id):
        with requests.Session() as s:
            s.headers.update(session.headers)
            return backup_id, submit(s, stack.base, backup_id)

    with ThreadPoolExecutor(6) as pool:
        numbers = dict(pool.map(one, ids))
    assert len(set(numbers.values())) == len(ids), "two backups got one number"
    stack.submitted.update(numbers)
    received = stack.wait_received(set(stack.submitted.values()), timeout=180)
    for number in stack.submitted.values():
        assert received.count(number) == 1, (number, received.count(number))


def test_stopped_and_started_every_backup_is_still_there(stack):
    # podman-compose stop/start leave the scaled instances alone: every container of the project is
    # stopped here, the platform first (SIGTERM; 30 s before a SIGKILL) then the broker, database and cache.
    infrastructure = {c for s in ("rabbitmq", "postgres", "redis") for c in stack.containers(s)}
    platform = [c for c in reversed(stack.containers()) if c not in infrastructure]
    started = time.monotonic()
    run("podman", "stop", "--time", "30", *platform, timeout=600)
    stopping_s = time.monotonic() - started
    run("podman", "stop", "--time", "30", *infrastructure, timeout=600)
    assert not stack.containers()
    # hgrip is PID 1 and stops on SIGTERM: no service needed the SIGKILL (exit code 137).
    exits = {c: run("podman", "inspect", "--format", "{{.State.ExitCode}}", c).strip() for c in platform}
    assert "137" not in exits.values() and stopping_s < 30, (exits, stopping_s)
    everything = run("podman", "ps", "--all", "--sort", "created", "--format", "{{.Names}}",
                     "--filter", f"label=io.podman.compose.project={PROJECT_NAME}").split()
    run("podman", "start", *[c for c in everything if "_provision_" not in c], timeout=600)
    stack.wait_healthy()
    session = stack.session()
    listed = session.get(f"{stack.base}/projects/{stack.project['id']}/backups", timeout=60)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    items = body["items"] if isinstance(body, dict) else body
    numbers = {b["id"]: b.get("backup_number") for b in items}
    assert numbers == stack.submitted
    # And the stack still works after the restart.
    backup_id = ready_backup(session, stack.base, stack.project["id"], "after-restart")
    number = submit(session, stack.base, backup_id)
    assert stack.wait_received({number}).count(number) == 1
