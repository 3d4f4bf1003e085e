"""The request context of the current green thread: correlation id, causation id, actor.

contextvars are per greenlet, so concurrent workers never see each other's ids.
"""
import contextvars
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def new_id() -> str:
    return str(uuid.uuid4())


def sane_request_id(candidate: str | None) -> str:
    """Keep a caller's X-Request-Id only if it is a short plain token; otherwise make one."""
    if candidate and _SANE_ID.match(candidate):
        return candidate
    return new_id()


def current_correlation_id() -> str | None:
    return _correlation_id.get()


def bind_request_context(correlation_id: str, **values) -> None:
    _correlation_id.set(correlation_id)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id, **values)


def clear_request_context() -> None:
    _correlation_id.set(None)
    structlog.contextvars.clear_contextvars()


@contextmanager
def request_context(correlation_id: str, **values) -> Iterator[None]:
    """The green thread's context bound to this request for the block, then back to what it was: for
    a line a worker logs on behalf of another request (the intake's, for each number of its batch)."""
    token = _correlation_id.set(correlation_id)
    try:
        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id, **values):
            yield
    finally:
        _correlation_id.reset(token)
