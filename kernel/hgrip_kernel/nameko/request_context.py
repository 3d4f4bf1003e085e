"""Per-worker request context: the correlation id from the HTTP request, RPC or event headers.

Every entrypoint call also leaves one log line saying what ran, for how long, and how it ended.
"""
import time

import structlog
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request

from ..context import (
    bind_request_context,
    clear_request_context,
    new_id,
    sane_request_id,
)


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
        elapsed = round((time.monotonic() - started) * 1000, 1) if started else None
        outcome = "ok" if exc_info is None else type(exc_info[1]).__name__
        code = getattr(exc_info[1], "code", None) if exc_info else None
        structlog.get_logger(self.container.service_name).info(
            "entrypoint_done", outcome=outcome, error_code=code, duration_ms=elapsed,
            causation_id=worker_ctx.data.get("causation_id"))

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)
        clear_request_context()
