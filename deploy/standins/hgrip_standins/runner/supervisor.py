"""Starts child processes, prefixes their output, restarts the ones that die, stops them all.

Children run in their own session: a Ctrl-C in the terminal reaches only the runner, which then
stops the children in order (services before stand-ins) instead of all of them dying at once.
"""
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

try:   # Linux: a child gets SIGTERM if the runner itself is killed, so nothing is orphaned.
    _libc = ctypes.CDLL(None, use_errno=True)
    _PR_SET_PDEATHSIG = 1
except OSError:   # pragma: no cover - not Linux
    _libc = None


def _child_setup():
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class ChildSpec:
    name: str
    argv: list[str]
    group: str = "services"
    env: dict = field(default_factory=dict)   # added to the supervisor's environment


@dataclass
class Child:
    spec: ChildSpec
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 0.0
    restart_at: float | None = None


class Supervisor:
    def __init__(self, env: dict | None = None, out=None, stop_timeout: float = 10.0,
                 backoff_initial: float = 1.0, backoff_max: float = 30.0, stable_after: float = 60.0,
                 poll_interval: float = 0.2):
        self.env = dict(os.environ if env is None else env)
        self.out = out or sys.stdout
        self.stop_timeout, self.poll_interval = stop_timeout, poll_interval
        self.backoff_initial, self.backoff_max, self.stable_after = backoff_initial, backoff_max, stable_after
        self.children: list[Child] = []
        self.history: list[tuple] = []   # (event, name, detail): what tests and post-mortems read
        self.stopping = threading.Event()
        self.force = threading.Event()   # a second Ctrl-C: SIGKILL without waiting
        self._lock = threading.RLock()
        self._pumps: list[threading.Thread] = []
        self._monitor: threading.Thread | None = None
        self._width = 12
        self._colour = hasattr(self.out, "isatty") and self.out.isatty()

    # -- output ----------------------------------------------------------------------------------
    def emit(self, name: str, line: str) -> None:
        with self._lock:
            self._width = max(self._width, len(name))
            label = name.ljust(self._width)
            if self._colour:
                label = f"\033[{31 + sum(map(ord, name)) % 6}m{label}\033[0m"
            try:
                self.out.write(f"{label} | {line}\n")
                self.out.flush()
            except (OSError, ValueError):   # our stdout is gone (closed pipe): keep draining the children
                pass

    def reserve(self, names) -> None:
        """Widen the name column up front, so that prefixes stay aligned as later children start."""
        with self._lock:
            self._width = max([self._width, *map(len, names)])

    def say(self, line: str) -> None:
        self.emit("runner", line)

    def _pump(self, name: str, stream) -> None:
        for raw in iter(stream.readline, b""):
            self.emit(name, raw.decode("utf-8", "replace").rstrip("\r\n"))
        stream.close()

    def _spawn(self, name: str, argv: list[str], extra_env: dict) -> subprocess.Popen:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, env={**self.env, **extra_env},
                                   start_new_session=True, preexec_fn=_child_setup)
        pump = threading.Thread(target=self._pump, args=(name, process.stdout), daemon=True, name=f"pump-{name}")
        pump.start()
        self._pumps.append(pump)
        return process

    # -- children --------------------------------------------------------------------------------
    def start(self, spec: ChildSpec) -> Child:
        child = Child(spec)
        with self._lock:
            self.children.append(child)
            self._launch(child)
        return child

    def _launch(self, child: Child) -> None:
        child.process = self._spawn(child.spec.name, child.spec.argv, child.spec.env)
        child.started_at, child.restart_at = time.monotonic(), None
        self.history.append(("started", child.spec.name, child.process.pid))
        self.say(f"started {child.spec.name} (pid {child.process.pid}): {' '.join(child.spec.argv)}")

    def run_once(self, name: str, argv: list[str], cancel: threading.Event | None = None) -> int:
        """A one-shot command (migrations) with prefixed output; terminated if `cancel` is set."""
        cancel = cancel or self.stopping
        process = self._spawn(name, argv, {})
        self.history.append(("run", name, process.pid))
        while process.poll() is None:
            if cancel.wait(self.poll_interval):
                self._terminate([process], self.stop_timeout)
        self.history.append(("finished", name, process.returncode))
        return process.returncode

    def start_monitor(self) -> None:
        self._monitor = threading.Thread(target=self._watch, daemon=True, name="supervisor")
        self._monitor.start()

    def _watch(self) -> None:
        while not self.stopping.wait(self.poll_interval):
            now = time.monotonic()
            with self._lock:
                for child in self.children:
                    if self.stopping.is_set():
                        return
                    if child.restart_at is not None:
                        if now >= child.restart_at:
                            child.restarts += 1
                            self.history.append(("restarting", child.spec.name, child.restarts))
                            try:
                                self._launch(child)
                            except OSError as error:   # e.g. the command vanished: keep trying, keep watching
                                self.say(f"!! cannot start {child.spec.name}: {error}")
                                child.restart_at = now + max(child.backoff, self.backoff_initial)
                    elif child.process.poll() is not None:
                        self._schedule_restart(child, now)

    def _schedule_restart(self, child: Child, now: float) -> None:
        uptime = now - child.started_at
        # A child that ran for a while gets a fresh start; one that keeps crashing waits longer each time.
        if uptime >= self.stable_after or child.backoff == 0:
            child.backoff = self.backoff_initial
        else:
            child.backoff = min(child.backoff * 2, self.backoff_max)
        child.restart_at = now + child.backoff
        code = child.process.returncode
        self.history.append(("exited", child.spec.name, code))
        self.say(f"!! {child.spec.name} exited with code {code} after {uptime:.1f}s; "
                 f"restarting in {child.backoff:.1f}s")

    # -- stopping --------------------------------------------------------------------------------
    def _terminate(self, processes: list[subprocess.Popen], timeout: float) -> None:
        for process in processes:
            self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in processes:
            while process.poll() is None and time.monotonic() < deadline and not self.force.is_set():
                time.sleep(0.05)
            if process.poll() is None:
                self.say(f"!! pid {process.pid} ignored SIGTERM for {timeout:.0f}s: SIGKILL")
                self._signal(process, signal.SIGKILL)
                process.wait()

    @staticmethod
    def _signal(process: subprocess.Popen, signum: int) -> None:
        try:
            os.killpg(process.pid, signum)   # its own session: the group is the child and its helpers
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        self.stopping.set()
        if self._monitor is not None:
            self._monitor.join()
        with self._lock:
            children = list(self.children)
        # Groups in reverse start order: services stop while the stand-ins they talk to are still up.
        for group in dict.fromkeys(c.spec.group for c in reversed(children)):
            members = [c for c in children if c.spec.group == group]
            running = [c.process for c in members if c.process and c.process.poll() is None]
            if running:
                self.say(f"stopping {group}: {', '.join(c.spec.name for c in members)}")
                self._terminate(running, self.stop_timeout)
            for child in members:
                self.history.append(("stopped", child.spec.name, child.process.returncode))
        for pump in self._pumps:
            pump.join(timeout=2)
