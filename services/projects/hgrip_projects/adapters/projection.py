"""The projects read model as ``hgrip rebuild projects`` folds it from the project streams, with the
rules the live writer uses (read_models.created_row, read_models.delegated_values)."""
from hgrip_kernel.store.replay import Projections, ReadModel

from .read_models import created_row, delegated_values
from .tables import projects


def _fold_project(stream_id: str, stream: list):
    row = None
    for event in stream:
        if event.event_type == "ProjectCreated":
            row = created_row(event)
        elif event.event_type == "ProjectDelegated" and row is not None:
            row.update(delegated_values(event))
    if row is not None:
        yield projects, row


PROJECTIONS = Projections(
    service="projects",
    read_models=(ReadModel("projects", (projects,), ("project",), _fold_project),),
    left_alone={
        "events": "the event store itself: what every read model is rebuilt from",
        "outbox": "delivery state of published events, not a view of them",
        "inbox": "which peer events were applied (idempotence), not derived from this store",
    },
)
