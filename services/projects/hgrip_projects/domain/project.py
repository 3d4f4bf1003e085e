"""The Project aggregate (stream ``project-<uuid>``): created once, never changed or deleted."""
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from hgrip_kernel.aggregate import Aggregate

from . import refusals
from .eligibility import check_may_create_projects

STREAM_PREFIX = "project-"


def project_stream_id(project_id: str) -> str:
    return f"{STREAM_PREFIX}{project_id}"


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
            "created_at": now.astimezone(timezone.utc).isoformat(),
        })
        return project

    def apply_ProjectCreated(self, data: dict) -> None:
        self.created = True
        self.state = dict(data)
