"""``hgrip serve <service>``: run one nameko service process (start several for competing consumers)."""
import os
import signal
from importlib.metadata import entry_points

from .parsers import add_command


def _run(args) -> int:
    import warnings
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
    import eventlet
    eventlet.monkey_patch()  # before anything opens a socket

    from nameko.runners import ServiceRunner

    from ..config import service_config
    from ..green_stacks import log_green_threads
    from ..logging import configure_logging, get_logger
    from ..metrics_http import serve_metrics
    from ..nameko import http_drain, register_rpc_errors
    from ..niceness import lower_priority

    services = {ep.name: ep for ep in entry_points(group="hgrip.services")}
    if args.service not in services:
        print(f"unknown service {args.service!r}; known: {', '.join(sorted(services))}")
        return 2
    try:   # before any thread starts (they inherit it)
        niceness = lower_priority(args.service, os.environ)
    except ValueError as exc:
        print(exc)
        return 2
    configure_logging(args.service, level=args.log_level)
    register_rpc_errors()
    service_cls = services[args.service].load()
    config = service_config(args.service)
    runner = ServiceRunner(config)
    runner.add_service(service_cls)
    log = get_logger("hgrip.serve")
    stop = _Stop(runner, log, args.service, grace=float(os.environ.get("HGRIP_STOP_TIMEOUT") or 10))
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop.on_signal)
    # SIGUSR1: every green thread's stack to the log (where a process that answers nothing hangs).
    signal.signal(signal.SIGUSR1, lambda _signum, frame: log_green_threads(log, running=frame))
    try:
        serve_metrics(os.environ, args.service)   # only when $HGRIP_METRICS_ADDRESS is set
    except ValueError as exc:
        print(exc)
        return 2
    runner.start()
    stop.drain = http_drain.install(runner)
    log.info("service_started", service=args.service, amqp=_safe(config["AMQP_URI"]), niceness=niceness)
    # Started: a stop asked for while starting happens now (nameko cannot stop a half-started container).
    eventlet.spawn_n(stop.when_asked)
    runner.wait()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):   # stopped: a late signal must not
        signal.signal(signum, signal.SIG_IGN)                       # kill the exit (code -15)
    log.info("service_stopped", service=args.service, forced=stop.forced)
    return 1 if stop.forced else 0


class _Stop:
    """The first SIGTERM or SIGINT stops gracefully: HTTP requests in flight are answered and new
    ones refused (http_drain); then nameko stops taking messages, lets the workers in flight finish
    (each acks its message only after its effect committed), and the process exits. SIGHUP (what
    `hgrip-run` arranges for its children should it die) does the same after
    $HGRIP_ORPHAN_STOP_DELAY seconds, so that processes stop in order without the runner. A repeated
    SIGTERM changes nothing (a process group and its supervisor may both send one); a second SIGINT
    (Ctrl-C twice in a terminal), or the grace period ($HGRIP_STOP_TIMEOUT) running out, kills the
    workers still running: their messages were not acked and go back to the queue."""

    def __init__(self, runner, log, service: str, grace: float):
        import eventlet.event

        self.runner, self.log, self.service, self.grace = runner, log, service, grace
        self.drain = None   # set once started (http_drain.install)
        self.orphan_delay = float(os.environ.get("HGRIP_ORPHAN_STOP_DELAY") or 0)
        self.asked = eventlet.event.Event()
        self.hung_up = False
        self.forced = False

    def on_signal(self, signum, _frame) -> None:
        import eventlet

        # Nothing but recording here: the work happens in green threads, outside the signal handler.
        if self.asked.ready():
            eventlet.spawn_n(self._again, signum)
        elif signum != signal.SIGHUP:
            self.asked.send(signum)
        elif not self.hung_up:
            self.hung_up = True
            eventlet.spawn_after(self.orphan_delay, self._ask, signum)

    def _ask(self, signum: int) -> None:
        if not self.asked.ready():
            self.asked.send(signum)

    def when_asked(self) -> None:
        import eventlet

        signum = self.asked.wait()
        self.log.info("service_stopping", service=self.service, signal=signal.Signals(signum).name,
                      grace_seconds=self.grace)
        deadline = eventlet.spawn_after(self.grace, self._kill, "the grace period ran out")
        if self.drain is not None:
            self.drain.drain(self.grace)   # HTTP: answer the requests in flight, refuse new ones (503)
        self.runner.stop()
        deadline.cancel()

    def _again(self, signum: int) -> None:
        if signum == signal.SIGINT:
            self._kill("SIGINT again")
        else:
            self.log.info("service_already_stopping", service=self.service, signal=signal.Signals(signum).name)

    def _kill(self, why: str) -> None:
        if self.forced:
            return
        self.forced = True
        self.log.warning("service_killing_workers", service=self.service, reason=why)
        self.runner.kill()


def _safe(uri: str) -> str:
    from sqlalchemy.engine import make_url
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:
        return "***"


def register(commands) -> None:
    services = sorted(ep.name for ep in entry_points(group="hgrip.services"))
    parser = add_command(
        commands, "serve", "run one service",
        "Runs one service process in the foreground, logging JSON lines to standard output, until "
        "SIGTERM or SIGINT stops it gracefully (work in flight finishes; $HGRIP_STOP_TIMEOUT seconds of "
        "grace, default 10). Start several processes of a service to share its load: they compete for "
        "its queues. Configuration comes from the environment (docs/operations.md).")
    parser.add_argument("service", choices=services, metavar="SERVICE",
                        help=f"the service to run: {', '.join(services)}")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="the least severe log lines written (default: %(default)s)")
    parser.set_defaults(handler=_run)
