"""``hgrip serve <service>``: run one nameko service process (start several for competing consumers)."""
from importlib.metadata import entry_points


def _run(args) -> int:
    import warnings
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
    import eventlet
    eventlet.monkey_patch()  # before anything opens a socket

    from nameko.runners import ServiceRunner

    from ..config import service_config
    from ..logging import configure_logging, get_logger
    from ..nameko import register_rpc_errors

    services = {ep.name: ep for ep in entry_points(group="hgrip.services")}
    if args.service not in services:
        print(f"unknown service {args.service!r}; known: {', '.join(sorted(services))}")
        return 2
    configure_logging(args.service, level=args.log_level)
    register_rpc_errors()
    service_cls = services[args.service].load()
    config = service_config(args.service)
    runner = ServiceRunner(config)
    runner.add_service(service_cls)
    log = get_logger("hgrip.serve")

    import signal

    def shutdown(signum, frame):
        # nameko finishes the workers in flight before the process ends.
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    log.info("service_started", service=args.service, amqp=_safe(config["AMQP_URI"]))
    runner.wait()
    log.info("service_stopped", service=args.service)
    return 0


def _safe(uri: str) -> str:
    from sqlalchemy.engine import make_url
    try:
        return make_url(uri).render_as_string(hide_password=True)
    except Exception:
        return "***"


def register(commands) -> None:
    parser = commands.add_parser("serve", help="run one service")
    parser.add_argument("service")
    parser.add_argument("--log-level", default="INFO")
    parser.set_defaults(handler=_run)
