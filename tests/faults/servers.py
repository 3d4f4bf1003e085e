"""Private PostgreSQL and RabbitMQ servers for the fault suite.

The fault cases restart and stop the broker and the database; the shared servers on 5432/5672 serve
other engineers' tests and CI, so each case gets servers of its own: a PostgreSQL cluster made with
initdb in a temporary directory, and a RabbitMQ node with its own name, ports and Mnesia directory.
Both run as their system users (PostgreSQL refuses root; the Debian RabbitMQ files belong to
``rabbitmq``, whose home holds the Erlang cookie rabbitmqctl needs). Each is a child process of the
test run, stopped at the end even when a test failed.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from hgrip_kernel.testing.platform import free_port

PG_BIN = Path(os.environ.get("HGRIP_FAULT_PG_BIN", "/usr/lib/postgresql/15/bin"))
RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
RABBIT_HOME = "/var/lib/rabbitmq"  # the rabbitmq user's home: its .erlang.cookie


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {timeout}s")
        time.sleep(0.2)


def unavailable_reason() -> str | None:
    """Why private servers cannot run here (the cases are then skipped), or None."""
    if os.geteuid() != 0:
        return "private servers need root (to run them as the postgres and rabbitmq users)"
    if not (PG_BIN / "postgres").exists():
        return f"no PostgreSQL binaries in {PG_BIN}"
    if not (RABBIT_BIN / "rabbitmq-server").exists():
        return f"no RabbitMQ in {RABBIT_BIN}"
    for user in ("postgres", "rabbitmq"):
        if subprocess.run(["id", "-u", user], capture_output=True).returncode != 0:
            return f"no {user} user"
    return None


def _owned_dir(prefix: str, user: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    shutil.chown(path, user, user)
    (path / "owner.pid").write_text(str(os.getpid()))  # the test run that started it (reap_orphans)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_orphans() -> list[str]:
    """Stop and remove private servers whose test run died before its teardown (pytest-timeout ends a
    hung run with os._exit): only those under our own prefixes, whose owner.pid is no longer alive."""
    reaped = []
    for path in Path(tempfile.gettempdir()).glob("hgrip-fault-*-*"):
        try:
            owner = int((path / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        if path.name.startswith("hgrip-fault-pg-") and (path / "data" / "postmaster.pid").exists():
            subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(path / "data"),
                            "-m", "immediate", "stop"], capture_output=True, timeout=60)
        elif path.name.startswith("hgrip-fault-rabbit-"):
            for node in (path / "mnesia").glob("*@localhost.pid"):
                subprocess.run(["runuser", "-u", "rabbitmq", "--", str(RABBIT_BIN / "rabbitmqctl"), "-n",
                                node.name.removesuffix(".pid"), "stop"], cwd=RABBIT_HOME, capture_output=True,
                               env={**os.environ, "HOME": RABBIT_HOME,
                                    "RABBITMQ_CONF_ENV_FILE": str(path / "rabbitmq-env.conf")}, timeout=60)
        shutil.rmtree(path, ignore_errors=True)
        reaped.append(path.name)
    return reaped


class PrivatePostgres:
    """``start()`` → admin URL; ``stop()`` (fast: connections die), ``start()`` again, ``restart()``."""

    def __init__(self):
        self.dir = _owned_dir("hgrip-fault-pg-", "postgres")
        self.data, self.sockets = self.dir / "data", self.dir / "sockets"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                          "-E", "UTF8", "--no-sync", check=True)
        self.sockets.mkdir()
        shutil.chown(self.sockets, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def make_database(self, service: str, prefix: str = "hgrip_f_") -> str:
        """A new database on this server with ``service``'s schema migrated; its URL."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        from hgrip_kernel.cli.migrate import upgrade

        name = f"{prefix}{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        url = make_url(self.url).set(database=name).render_as_string(hide_password=False)
        upgrade(service, url)
        return url

    def _as_postgres(self, *argv, check=False, **kw):
        return subprocess.run(["runuser", "-u", "postgres", "--", *argv], capture_output=True, check=check, **kw)

    def start(self) -> str:
        # fsync off: the cases test what the platform does when the server goes, not the disk.
        with open(self.dir / "postgres.log", "ab") as log:  # the server keeps its own handle
            self.process = subprocess.Popen(
                ["runuser", "-u", "postgres", "--", str(PG_BIN / "postgres"), "-D", str(self.data),
                 "-p", str(self.port), "-k", str(self.sockets), "-c", "listen_addresses=127.0.0.1",
                 "-c", "fsync=off", "-c", "max_connections=300", "-c", "shared_buffers=32MB"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self.ready, 30, "private PostgreSQL")
        return self.url

    def ready(self) -> bool:
        return self._as_postgres(str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port),
                                 "-q").returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """``fast``: every session is ended (as on a restart); ``immediate``: as after a crash."""
        if self.process is None or self.process.poll() is not None:
            return
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRabbit:
    """A RabbitMQ node of our own; ``stop_app``/``start_app`` (the broker restarts, the node stays)."""

    def __init__(self):
        self.dir = _owned_dir("hgrip-fault-rabbit-", "rabbitmq")
        self.node = f"hgrip-fault-{uuid.uuid4().hex[:8]}@localhost"
        self.port, self.dist_port = free_port(), free_port()
        (self.dir / "enabled_plugins").write_text("[].\n")  # the platform needs no plugin
        (self.dir / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\n")
        (self.dir / "rabbitmq-env.conf").write_text("")  # not the system's (it names the shared node)
        for path in self.dir.iterdir():
            shutil.chown(path, "rabbitmq", "rabbitmq")
        self.env = {**os.environ, "HOME": RABBIT_HOME, "RABBITMQ_NODENAME": self.node,
                    "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(self.dist_port),
                    "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"), "RABBITMQ_LOG_BASE": str(self.dir / "log"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
                    "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
                    "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf")}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.dir / "server.log", "ab") as log:
            self.process = subprocess.Popen(
                ["runuser", "-u", "rabbitmq", "--", str(RABBIT_BIN / "rabbitmq-server")], env=self.env,
                cwd=RABBIT_HOME, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: port_open(self.port) or self.process.poll() is not None, 90, "private RabbitMQ")
        if self.process.poll() is not None:
            raise RuntimeError("private RabbitMQ exited:\n" + (self.dir / "server.log").read_text()[-2000:])

    def ctl(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(["runuser", "-u", "rabbitmq", "--", str(RABBIT_BIN / "rabbitmqctl"), "-n", self.node,
                               *args], env=self.env, cwd=RABBIT_HOME, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def make_vhost(self) -> str:
        """A fresh vhost (one per platform) → its AMQP URI."""
        name = f"hgrip-fault-{uuid.uuid4().hex[:8]}"
        self.ctl("add_vhost", name)
        self.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{name}"

    def stop_app(self) -> None:
        self.ctl("stop_app")
        wait_for(lambda: not port_open(self.port), 30, "RabbitMQ listener closed")

    def start_app(self) -> None:
        self.ctl("start_app")
        wait_for(lambda: port_open(self.port), 60, "RabbitMQ listener")

    def restart_app(self) -> None:
        self.stop_app()
        self.start_app()

    def destroy(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.ctl("stop", check=False)
                try:
                    self.process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, 9)
                    self.process.wait()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
