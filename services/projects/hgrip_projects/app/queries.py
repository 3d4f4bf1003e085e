"""Reading one's own projects; which names an owner uses."""
from typing import Any

from hgrip_kernel.ids import canonical_id

from ..domain import refusals
from .ports import Ports


def list_projects(ports: Ports, actor_id: object) -> list[Any]:
    """The actor's own projects' rows, newest first."""
    owner_id = canonical_id(actor_id) or str(actor_id)
    with ports.db.reading() as records:
        return records.list_for_owner(owner_id)


def get_project(ports: Ports, actor_id: object, project_id: object) -> Any:
    """The project's row; ``project_not_found`` when missing, malformed or someone else's."""
    wanted = canonical_id(project_id)
    if wanted is None:
        raise refusals.project_not_found()
    owner_id = canonical_id(actor_id) or str(actor_id)
    with ports.db.reading() as records:
        row = records.get_for_owner(owner_id, wanted)
    if row is None:
        raise refusals.project_not_found()
    return row


def project_names_taken(ports: Ports, owner_id: object, names: list[str]) -> list[str]:
    """Which of ``names`` the owner already uses, in the given order, without repeats."""
    owner = canonical_id(owner_id)
    if owner is None or not names:
        return []
    with ports.db.reading() as records:
        taken = set(records.names_taken(owner, names))
    return [name for name in dict.fromkeys(names) if name in taken]
