"""Projects domain: plain Python, no nameko, SQLAlchemy or marshmallow."""
from .delegation import Transfer, delegate_projects
from .eligibility import check_may_create_projects
from .project import ALREADY, MOVED, SKIPPED, Delegation, Project, ProjectDetails, project_stream_id

__all__ = ["ALREADY", "MOVED", "SKIPPED", "Delegation", "Project", "ProjectDetails",
           "Transfer", "check_may_create_projects", "delegate_projects", "project_stream_id"]
