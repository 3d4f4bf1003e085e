"""Alembic environment of the projects database (the kernel does the work)."""
from hgrip_kernel.migrations import run_env
from hgrip_projects.adapters.tables import metadata

run_env(metadata)
