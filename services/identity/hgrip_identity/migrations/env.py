"""Alembic environment of the identity database (the kernel does the work)."""
from hgrip_identity.adapters.tables import metadata
from hgrip_kernel.migrations import run_env

run_env(metadata)
