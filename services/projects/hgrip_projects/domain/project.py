"""The Project aggregate (stream ``project-<uuid>``): created once, never deleted; its details
never change, only its owner does, with a delegation transfer (委托调整)."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hgrip_kernel.aggregate import Aggregate

from . import refusals
from .eligibility import check_may_create_projects

STREAM_PREFIX = "project-"


def project_stream_id(project_id: str) -> str:
    return f"{STREAM_PREFIX}{project_id}"


# What Project.delegate did (and what transfer_projects reports per project).
MOVED = "moved"        # ProjectDelegated recorded
ALREADY = "already"    # this transfer moved it before, or the new owner owns it already: nothing recorded
SKIPPED = "skipped"    # someone else owns it now (moved since), or no such project: nothing recorded


@dataclass(frozen=True)
class Delegation:
    """One delegation transfer as it applies to projects: who to, in which unit, by whom, when.

    ``unit_code``/``unit_name`` are the new owner's unit as identity knows it; ``delegated_at`` is
    the transfer's own time, so that every path applying one transfer records the same event.
    """
    transfer_id: str
    from_owner_id: str
    to_owner_id: str
    to_username: str
    unit_code: str | None
    unit_name: str | None
    delegated_by: str
    delegated_at: datetime


@dataclass(frozen=True)
class ProjectDetails:
    """What the researcher types; already trimmed and validated by the RPC schema."""
    name: str
    pi_name: str
    pi_email: str


class Project(Aggregate):
    stream_type = "project"

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.created = False
        self.state: dict = {}
        self.transfers: set[str] = set()  # transfer ids that moved this project

    @classmethod
    def create(cls, project_id: str, account: dict, details: ProjectDetails, consent,
               name_taken: Callable[[str], bool], now: datetime) -> "Project":
        """Check the rules in the order a user would fix them, then record ProjectCreated.

        ``name_taken`` asks the read model; the UNIQUE(owner_id, name) constraint behind it is
        what actually holds under concurrency.
        """
        check_may_create_projects(account)
        if consent is not True:  # only an explicit ``true``: "yes", 1 or "on" are not agreement
            raise refusals.consent_required()
        if name_taken(details.name):
            raise refusals.project_name_taken(details.name)
        institution = account["institution"]
        unit = account.get("unit") or None
        project = cls(project_stream_id(project_id))
        project.record("ProjectCreated", {
            "project_id": project_id,
            "name": details.name,
            "pi_name": details.pi_name,
            "pi_email": details.pi_email,
            "institution_code": institution["code"],
            "institution_name": institution["name"],
            "unit_code": unit["code"] if unit else None,
            "unit_name": unit["name"] if unit else None,
            "owner_id": account["id"],
            "owner_username": account["username"],
            "created_at": now.astimezone(UTC).isoformat(),
        })
        return project

    def apply_ProjectCreated(self, data: dict) -> None:
        self.created = True
        self.state = dict(data)

    def delegation_outcome(self, delegation: Delegation) -> str:
        """What ``delegate`` would do, without doing it."""
        if not self.created:
            return SKIPPED
        if delegation.transfer_id in self.transfers:
            return ALREADY          # a repeat of this transfer, even if the project moved on since
        owner = self.state["owner_id"]
        if owner == delegation.to_owner_id:
            return ALREADY
        if owner != delegation.from_owner_id:
            return SKIPPED          # moved to someone else since the transfer was decided
        return MOVED

    def delegate(self, delegation: Delegation) -> str:
        """Move the project to the transfer's new owner; idempotent. Returns MOVED, ALREADY or SKIPPED."""
        outcome = self.delegation_outcome(delegation)
        if outcome == MOVED:
            self.record("ProjectDelegated", {
                "project_id": self.state["project_id"],
                "transfer_id": delegation.transfer_id,
                "from_owner_id": self.state["owner_id"],
                "to_owner_id": delegation.to_owner_id,
                "to_username": delegation.to_username,
                "unit_code": delegation.unit_code,
                "unit_name": delegation.unit_name,
                "delegated_by": delegation.delegated_by,
                "delegated_at": delegation.delegated_at.astimezone(UTC).isoformat(),
            })
        return outcome

    def apply_ProjectDelegated(self, data: dict) -> None:
        self.transfers.add(data["transfer_id"])
        self.state.update(owner_id=data["to_owner_id"], owner_username=data["to_username"],
                          unit_code=data["unit_code"], unit_name=data["unit_name"])
