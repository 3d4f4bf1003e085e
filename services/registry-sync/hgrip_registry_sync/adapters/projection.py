"""The push queues as ``hgrip rebuild registry-sync`` folds them from the sync and owner-change
streams, with the fold the live writer uses (app.queues.row_change).

The lease of a push in flight (``next_attempt_at`` moved forward by claim_due, no event) is not in the
events: kept from the live row when that row reflects the same stream version, so a rebuild does not
hand a push in flight to a second pusher.
"""
from hgrip_kernel.store.replay import Projections, ReadModel

from ..app.queues import row_change
from .tables import QUEUE_TABLES, owner_changes, sync_states


def _fold_push(stream_id: str, stream: list):
    values: dict = {}
    queue = None
    for event in stream:
        change = row_change(event)
        queue = change.queue
        values.update(change.values)
    if queue is not None:
        table = QUEUE_TABLES[queue]
        yield table, {column.name: values.get(column.name) for column in table.columns}


_LEASE = ("next_attempt_at",)

PROJECTIONS = Projections(
    service="registry-sync",
    read_models=(
        ReadModel("sync_states", (sync_states,), ("sync",), _fold_push, carried={"sync_states": _LEASE}),
        ReadModel("owner_changes", (owner_changes,), ("owner_change",), _fold_push,
                  carried={"owner_changes": _LEASE}),
    ),
    left_alone={
        "events": "the event store itself: what every read model is rebuilt from",
        "outbox": "delivery state of published events, not a view of them",
        "inbox": "which peer events were applied (idempotence), not derived from this store",
    },
)
