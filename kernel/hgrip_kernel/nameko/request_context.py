"""Per-worker request context: the correlation id from the HTTP request, RPC or event headers.

Every entrypoint call also leaves one log line saying what ran, for how long, and how it ended, and
every RPC call is counted in the process's metrics (hgrip_rpc_calls_total, hgrip_rpc_duration_seconds).
"""
import time

import structlog
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from werkzeug.wrappers import Request

from .. import metrics
from ..context import (
    bind_request_context,
    clear_request_context,
    new_id,
    sane_request_id,
)
from ..errors import DomainError, ServiceUnavailable


def rpc_outcome(exc: BaseException | None) -> str:
    """ok; refused: a domain refusal, the caller's answer; error: anything else, an unavailable
    service included (the caller could not be answered)."""
    if exc is None:
        return metrics.OK
    if isinstance(exc, DomainError) and not isinstance(exc, ServiceUnavailable):
        return metrics.REFUSED
    return metrics.ERROR


class WorkerRequestContext:
    def __init__(self, correlation_id: str, causation_id: str | None, log):
        self.correlation_id = correlation_id
        self.causation_id = causation_id
        self.log = log


class RequestContext(DependencyProvider):
    def get_dependency(self, worker_ctx):
        data = worker_ctx.data
        correlation_id = data.get("correlation_id")
        request = worker_ctx.args[0] if worker_ctx.args else None
        if not correlation_id and isinstance(request, Request):
            correlation_id = sane_request_id(request.headers.get("X-Request-Id"))
        correlation_id = correlation_id or new_id()
        data["correlation_id"] = correlation_id  # rides on every RPC call and event this worker makes
        entrypoint = f"{self.container.service_name}.{worker_ctx.entrypoint.method_name}"
        bind_request_context(correlation_id, entrypoint=entrypoint)
        log = structlog.get_logger(self.container.service_name).bind(entrypoint=entrypoint)
        self._started[worker_ctx] = time.monotonic()
        return WorkerRequestContext(correlation_id, data.get("causation_id"), log)

    def setup(self):
        self._started = {}

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        seconds = time.monotonic() - started if started else None
        elapsed = round(seconds * 1000, 1) if seconds is not None else None
        if seconds is not None and isinstance(worker_ctx.entrypoint, Rpc):
            metrics.rpc_answered(self.container.service_name, worker_ctx.entrypoint.method_name,
                                 rpc_outcome(exc_info[1] if exc_info else None), seconds)
        outcome = "ok" if exc_info is None else type(exc_info[1]).__name__
        code = getattr(exc_info[1], "code", None) if exc_info else None
        structlog.get_logger(self.container.service_name).info(
            "entrypoint_done", outcome=outcome, error_code=code, duration_ms=elapsed,
            causation_id=worker_ctx.data.get("causation_id"))

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)
        clear_request_context()
