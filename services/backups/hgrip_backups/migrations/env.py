"""Alembic environment of the backups database (the kernel does the work)."""
from hgrip_backups.projections import metadata
from hgrip_kernel.migrations import run_env

run_env(metadata)
