"""Moving all projects of one natural person to another member (委托调整), as one decision.

Backups decides and records a transfer (backups.DelegationTransferred); projects follows it. The
whole transfer is refused when the new owner already has a project of the same name as one that
would move (names are unique per owner); otherwise each project is moved, or left alone, on its
own (``Project.delegate``).
"""
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from . import refusals
from .project import ALREADY, MOVED, SKIPPED, Delegation, Project


@dataclass(frozen=True)
class Transfer:
    """A backups.DelegationTransferred payload, validated; ids in canonical lower-case form."""
    transfer_id: str
    from_owner_id: str
    to_owner_id: str
    to_username: str
    institution_code: str
    to_unit_code: str | None
    project_ids: tuple[str, ...]   # without repeats, in the given order
    transferred_by: str
    transferred_at: datetime


def delegate_projects(projects: Mapping[str, Project | None], delegation: Delegation,
                      names_taken: Callable[[dict[str, str]], list[str]]) -> dict:
    """Delegate every project (id -> loaded Project, None when there is no such project).

    ``names_taken(moving)`` gets ``{project_id: name}`` of the projects that would move and answers
    which of those names the new owner uses for *other* projects (a read model that already shows
    these very projects with the new owner, committed by a concurrent path, is no clash). Raises
    ``delegate_has_project_named`` before recording anything when one clashes. Returns
    ``{"moved": [ids], "already": [ids], "skipped": [ids]}`` in the given order.
    """
    outcomes = {project_id: project.delegation_outcome(delegation) if project else SKIPPED
                for project_id, project in projects.items()}
    movers = {project_id: project for project_id, project in projects.items()
              if project is not None and outcomes[project_id] == MOVED}
    moving = {project_id: project.state["name"] for project_id, project in movers.items()}
    clashes = set(names_taken(moving)) if moving else set()
    if clashes:
        raise refusals.delegate_has_project_named([name for name in moving.values() if name in clashes])
    result: dict[str, list[str]] = {MOVED: [], ALREADY: [], SKIPPED: []}
    for project_id, outcome in outcomes.items():
        if outcome == MOVED:
            movers[project_id].delegate(delegation)
        result[outcome].append(project_id)
    return result
