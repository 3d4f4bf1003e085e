"""Fixtures for the stand-in tests: real servers in real subprocesses on free ports.

Subprocesses rather than threads: the kernel's pytest plugin monkey-patches eventlet into the test
process, and the stand-ins must be exercised as they run in production (plain threads, asyncio).
"""
import os
import socket
import subprocess
import sys
import time

import pytest

SECRET = "test-hgrg-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"stand-in exited with {process.returncode}: {process.stdout.read().decode()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port} after {timeout}s")


@pytest.fixture
def free_port():
    return _free_port


@pytest.fixture
def standin(tmp_path):
    """`standin(module_args, address_variable) -> (base_address, process)`: start one and wait for it."""
    started = []

    def start(args: list[str], address_variable: str, extra_env: dict | None = None, port: int | None = None):
        port = port or _free_port()
        env = {**os.environ, "HGRIP_VAR": str(tmp_path / "var"), address_variable: f"127.0.0.1:{port}",
               "HGRIP_HGRG_SHARED_SECRET": SECRET, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
        process = subprocess.Popen([sys.executable, "-m", *args], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        started.append(process)
        _wait_for_port(port, process)
        return f"127.0.0.1:{port}", process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        process.stdout.close()
