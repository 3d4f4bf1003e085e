"""Writing, written once: "save the aggregate and its read-model row" in the same transaction — a
push's new events, and what they do to its queue row (the caller applies it: one push's, or a
batch's at once). (No "write with retries" here: each push has one writer at a time, its lease's
holder, and a consumer's unit of work is retried whole by redelivery.)"""
from hgrip_kernel.envelope import Envelope
from hgrip_kernel.ports import UnitOfWork

from ..domain import PushState
from .ports import RowChange
from .queues import row_change


def saved(uow: UnitOfWork, push: PushState, correlation_id: str | None = None, *,
          cause: Envelope | None = None) -> tuple[list[Envelope], list[RowChange]]:
    """Append the push's new events and say what they do to its row (the caller applies it, several
    pushes' at once if it likes). When one unit of work records several pushes (a batch), each push's
    events carry its own request's ids: ``correlation_id``, the request's behind this push; ``cause``,
    the consumed event behind it — its correlation id, its actor, and its id as their causation id."""
    # The unit of work stamps its ids on each append: set here, they hold for this push's events.
    if cause is not None:
        correlation_id = cause.correlation_id
        uow.actor, uow.causation_id = cause.actor, cause.event_id   # type: ignore[attr-defined]
    if correlation_id is not None:
        uow.correlation_id = correlation_id   # type: ignore[attr-defined]
    stored = uow.save(push)
    return stored, [row_change(envelope) for envelope in stored]
