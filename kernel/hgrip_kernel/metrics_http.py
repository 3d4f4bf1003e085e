"""The metrics listener of a process (``hgrip serve``): Prometheus's text format on GET /metrics.

Served by an eventlet green WSGI server, not prometheus_client's own thread: under eventlet's monkey
patching a real thread would share the hub with the service's green threads. It answers while the
service is busy because every worker yields on its I/O. Only when $HGRIP_METRICS_ADDRESS is set: many
instances run on one machine in tests, and an unset variable means no port at all.
"""
from logging import getLogger

from prometheus_client import REGISTRY, make_wsgi_app

from .logging import get_logger
from .metrics import ADDRESS_VARIABLE, parse_address

log = get_logger("hgrip.metrics")


def _app(metrics_app):
    def app(environ, start_response):
        if environ.get("PATH_INFO", "/") not in ("/", "/metrics"):
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"not found: the metrics are on /metrics\n"]
        return metrics_app(environ, start_response)
    return app


def serve_metrics(environ: dict, service: str):
    """Start the listener if configured; returns its green thread (None when not configured).

    A port that cannot be bound is logged, not fatal: metrics are not worth an outage of the service,
    and Prometheus's ``up == 0`` for that target says it anyway. A malformed address is a
    configuration error: ValueError, with the message in English and Chinese.
    """
    import eventlet
    from eventlet import wsgi

    address = parse_address(environ.get(ADDRESS_VARIABLE))
    if address is None:
        return None
    try:
        sock = eventlet.listen(address)
    except OSError as exc:
        log.error("metrics_listen_failed", service=service, address=f"{address[0]}:{address[1]}",
                  error=repr(exc))
        return None
    log.info("metrics_listening", service=service, address=f"{address[0]}:{address[1]}")
    return eventlet.spawn(wsgi.server, sock, _app(make_wsgi_app(REGISTRY)), log=getLogger("hgrip.metrics.http"),
                          log_output=False)
