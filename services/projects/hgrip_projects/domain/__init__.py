"""Projects domain: plain Python, no nameko, SQLAlchemy or marshmallow."""
from .eligibility import check_may_create_projects
from .project import Project, ProjectDetails, project_stream_id

__all__ = ["Project", "ProjectDetails", "check_may_create_projects", "project_stream_id"]
