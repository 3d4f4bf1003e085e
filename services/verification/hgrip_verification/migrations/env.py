"""Alembic environment of the verification database (the kernel does the work)."""
from hgrip_kernel.migrations import run_env
from hgrip_verification.adapters.tables import metadata

run_env(metadata)
