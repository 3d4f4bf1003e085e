"""Alembic environment of the backups database (the kernel does the work)."""
from hgrip_backups.adapters.tables import metadata
from hgrip_kernel.migrations import run_env

run_env(metadata)
