"""Starts child processes, logs their output, restarts the ones that die, stops them all.

Children run in their own session: a signal to the runner's process group (Ctrl-C, a service
manager's SIGTERM) reaches only the runner, which then stops the children in order (services before
stand-ins), each with its grace period, instead of all of them dying at once.

Each child writes to ``$HGRIP_VAR/log/<name>.log`` (appended across restarts); the runner follows
that file onto its own output, prefixed. A child's last lines (its stop) land in the file even when
the runner is gone.
"""
import ctypes
import os
import queue
import signal
import subprocess  # nosec B404 # the runner's job: it starts the platform's own commands
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

try:   # Linux: a child gets SIGHUP if the runner itself dies (even by SIGKILL), so nothing is orphaned.
    _libc = ctypes.CDLL(None, use_errno=True)
    _PR_SET_PDEATHSIG = 1
except OSError:   # pragma: no cover - not Linux
    _libc = None

# A process is SIGKILLed only this long after its own grace period (`stop_timeout`): `hgrip serve`
# gives up its workers itself when the grace period ends, and needs a moment to say so and exit.
KILL_MARGIN = 3.0
# If the runner dies, every child gets SIGHUP at once, and stops that many seconds later
# ($HGRIP_ORPHAN_STOP_DELAY): the order the runner keeps, so that the gateway's requests in flight
# finish while the services still answer, and the services' while the stand-ins do.
ORPHAN_STOP_DELAY = {"gateway": 0.0, "services": 4.0, "standins": 8.0}


def _child_setup(runner_pid: int):
    def setup():
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGHUP)
            if os.getppid() != runner_pid:   # the runner died before prctl: no signal would ever come
                os.kill(os.getpid(), signal.SIGHUP)
    return setup


class _Spawner:
    """Forks every child from one thread that lives as long as the runner.

    PR_SET_PDEATHSIG fires when the *thread* that forked the child ends: a child restarted by the
    monitor thread would be sent SIGTERM as soon as that thread returns, out of order.
    """

    def __init__(self):
        self._requests: queue.Queue = queue.Queue()
        threading.Thread(target=self._serve, daemon=True, name="spawner").start()

    def _serve(self):
        while True:
            call, done = self._requests.get()
            try:
                done.put((True, call()))
            except BaseException as error:   # handed back to the caller's thread
                done.put((False, error))

    def run(self, call):
        done: queue.Queue = queue.Queue(maxsize=1)
        self._requests.put((call, done))
        ok, value = done.get()
        if not ok:
            raise value
        return value


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
                 poll_interval: float = 0.2, log_dir: Path | None = None, kill_margin: float = KILL_MARGIN):
        self.env = dict(os.environ if env is None else env)
        self.out = out or sys.stdout
        self.stop_timeout, self.poll_interval, self.kill_margin = stop_timeout, poll_interval, kill_margin
        self.backoff_initial, self.backoff_max, self.stable_after = backoff_initial, backoff_max, stable_after
        self.log_dir = log_dir or Path(self.env.get("HGRIP_VAR", "var")).resolve() / "log"
        self.children: list[Child] = []
        self.history: list[tuple] = []   # (event, name, detail): what tests and post-mortems read
        self.stopping = threading.Event()   # set as soon as a stop is asked: nothing is restarted after it
        self.force = threading.Event()   # a second Ctrl-C: SIGKILL without waiting
        self._lock = threading.RLock()
        self._pumps: list[threading.Thread] = []
        self._followers: dict[int, threading.Thread] = {}   # by pid, for one-shot commands
        self._monitor: threading.Thread | None = None
        self._spawner = _Spawner()
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
            except (OSError, ValueError):   # our stdout is gone (closed pipe): keep following the children
                pass

    def reserve(self, names) -> None:
        """Widen the name column up front, so that prefixes stay aligned as later children start."""
        with self._lock:
            self._width = max([self._width, *map(len, names)])

    def say(self, line: str) -> None:
        self.emit("runner", line)

    def _follow(self, name: str, path: Path, offset: int, process: subprocess.Popen) -> None:
        """Emit the lines one run of a child appends to its log file, until it has exited and all is read."""
        pending = b""
        with open(path, "rb") as log:
            log.seek(offset)
            while True:
                chunk = log.readline()
                if chunk:
                    pending += chunk
                    if pending.endswith(b"\n"):
                        self.emit(name, pending.decode("utf-8", "replace").rstrip("\r\n"))
                        pending = b""
                    continue
                if process.poll() is not None:   # exited, and everything it wrote has been read
                    if pending:
                        self.emit(name, pending.decode("utf-8", "replace").rstrip("\r\n"))
                    return
                time.sleep(0.05)

    def _spawn(self, name: str, argv: list[str], extra_env: dict, group: str = "services") -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        path = self.log_dir / f"{name}.log"
        env = {**self.env, "HGRIP_STOP_TIMEOUT": f"{self.stop_timeout:g}",
               "HGRIP_ORPHAN_STOP_DELAY": f"{ORPHAN_STOP_DELAY.get(group, 0.0):g}", **extra_env}
        with open(path, "ab") as log:   # the child keeps its own handle; O_APPEND across restarts
            offset = log.tell()
            process = self._spawner.run(lambda: subprocess.Popen(  # nosec B603 # the plan's commands, no shell
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True, preexec_fn=_child_setup(os.getpid())))
        pump = threading.Thread(target=self._follow, args=(name, path, offset, process), daemon=True,
                                name=f"follow-{name}")
        pump.start()
        self._pumps.append(pump)
        self._followers[process.pid] = pump
        return process

    # -- children --------------------------------------------------------------------------------
    def start(self, spec: ChildSpec) -> Child:
        child = Child(spec)
        with self._lock:
            self.children.append(child)
            self._launch(child)
        return child

    def _launch(self, child: Child) -> None:
        child.process = self._spawn(child.spec.name, child.spec.argv, child.spec.env, child.spec.group)
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
                self._terminate([(name, process)])
        self._followers.pop(process.pid).join(timeout=2)   # its last lines before whatever comes next
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
        # A child stopped on its own (e.g. SIGTERM sent to it alone) comes back like one that crashed.
        self.say(f"!! {child.spec.name} exited with code {code} after {uptime:.1f}s; "
                 f"restarting in {child.backoff:.1f}s")

    # -- stopping --------------------------------------------------------------------------------
    def request_stop(self) -> None:
        """From the signal handler: no restart from now on; `stop` does the stopping."""
        self.stopping.set()

    def _terminate(self, processes: list[tuple[str, subprocess.Popen]]) -> None:
        """SIGTERM, then wait for each to finish its work in flight; SIGKILL only what overruns."""
        for _, process in processes:
            self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout + self.kill_margin
        for name, process in processes:
            while process.poll() is None and time.monotonic() < deadline and not self.force.is_set():
                time.sleep(0.05)
            if process.poll() is None:
                why = ("asked to stop at once (Ctrl-C twice)" if self.force.is_set() else
                       f"still running {self.stop_timeout + self.kill_margin:g}s after SIGTERM")
                self.say(f"!! {name} (pid {process.pid}) {why}: SIGKILL")
                self.history.append(("killed", name, process.pid))
                self._signal(process, signal.SIGKILL)
                process.wait()
            else:
                self.say(f"{name} stopped (exit code {process.returncode})")

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
            running = [(c.spec.name, c.process) for c in members if c.process and c.process.poll() is None]
            if running:
                self.say(f"stopping {group}: {', '.join(name for name, _ in running)} "
                         f"(SIGTERM; up to {self.stop_timeout:g}s to finish their work)")
                self._terminate(running)
            for child in members:
                self.history.append(("stopped", child.spec.name, child.process.returncode))
        for pump in self._pumps:
            pump.join(timeout=2)
