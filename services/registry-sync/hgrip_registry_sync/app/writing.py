"""Writing, written once: "save the aggregate and its read-model row" in the same transaction — a
push's new event and its queue row. (No "write with retries" here: each push has one writer at a
time, its lease's holder, and a consumer's unit of work is retried whole by redelivery.)"""
from hgrip_kernel.envelope import Envelope
from hgrip_kernel.ports import UnitOfWork

from ..domain import PushState
from .ports import Ports
from .queues import row_change


def save_push(ports: Ports, uow: UnitOfWork, push: PushState) -> Envelope:
    """The push's new event and the row of its queue, in the unit of work's transaction; the stored event."""
    [stored] = uow.save(push)
    ports.rows.apply(uow, row_change(stored))
    return stored
