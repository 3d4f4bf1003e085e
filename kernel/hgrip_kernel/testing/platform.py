"""Runs the platform as real processes (``hgrip serve``) for end-to-end and fault tests."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

PLATFORM_SERVICES = ("identity", "projects", "backups", "verification", "registry-sync")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Platform:
    def __init__(self, env: dict, log_dir: Path):
        self.env = {**os.environ, **env}
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}
        self.gateway_url = f"http://{env['HGRIP_GATEWAY_ADDRESS']}"
        self._bin = Path(sys.executable).parent

    def migrate(self, *services):
        subprocess.run([str(self._bin / "hgrip"), "migrate", *services], env=self.env, check=True,
                       capture_output=True)

    def start(self, name: str, instance: str | None = None, command: list[str] | None = None,
              **extra_env) -> subprocess.Popen:
        """Start ``hgrip serve name`` (or ``command``, e.g. a stand-in) as process ``instance or name``."""
        key = instance or name
        argv = command or [str(self._bin / "hgrip"), "serve", name]
        with open(self.log_dir / f"{key}.log", "ab") as log:  # the child keeps its own handle
            process = subprocess.Popen(argv, env={**self.env, **extra_env}, stdout=log, stderr=subprocess.STDOUT)
        self.processes[key] = process
        return process

    def dump_green_threads(self, settle: float = 1.0) -> None:
        """SIGUSR1 to every running ``hgrip serve`` process: each logs its green threads' stacks
        (``green_thread`` lines), for a report of where a process hangs."""
        for process in self.processes.values():
            if process.poll() is None and list(process.args[1:2]) == ["serve"]:
                process.send_signal(signal.SIGUSR1)
        time.sleep(settle)

    def stop(self, key: str, sig=signal.SIGTERM, timeout: float = 20) -> int | None:
        process = self.processes.pop(key, None)
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        process.send_signal(sig)
        return _ended(process, timeout)

    def wait_exit(self, key: str, timeout: float = 20) -> int:
        process = self.processes[key]
        code = process.wait(timeout)
        self.processes.pop(key)
        return code

    def stop_all(self, timeout: float = 20):
        """SIGTERM to every process at once, then wait for them; one still running after
        ``timeout`` is killed. Each service takes 1.5-3 s to stop gracefully: one after another,
        that was about 16 s of every platform's teardown."""
        stopping = [self.processes.pop(key) for key in list(self.processes)]
        stopping = [process for process in stopping if process.poll() is None]
        for process in stopping:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in stopping:
            _ended(process, max(0.0, deadline - time.monotonic()))

    def wait_healthy(self, timeout: float = 60):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = requests.get(f"{self.gateway_url}/api/v1/healthz", timeout=5)
                if last.status_code == 200:
                    return last.json()
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.3)
        raise AssertionError(f"platform not healthy after {timeout}s: {getattr(last, 'text', last)}\n"
                             + self.tail_logs())

    def start_standin(self, name: str, module: str, *args: str) -> subprocess.Popen:
        return self.start(name, command=[sys.executable, "-m", module, *args])

    def tail_logs(self, lines: int = 30) -> str:
        out = []
        for path in sorted(self.log_dir.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)

    def query(self, service: str, sql: str, **params) -> list:
        """Rows from one service's own database (tests look behind the API to prove effects)."""
        from sqlalchemy import create_engine, text

        from ..config import env_key
        engine = create_engine(self.env[f"HGRIP_{env_key(service)}_DATABASE_URL"])
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql), params).all()
        finally:
            engine.dispose()

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


__all__ = ["Platform", "PLATFORM_SERVICES", "free_port", "signal"]


def _ended(process: subprocess.Popen, timeout: float) -> int:
    """``process``'s exit code once it has ended, killed if it has not after ``timeout``."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
