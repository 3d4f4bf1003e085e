"""Alembic environment of the registry-sync database (the kernel does the work)."""
from hgrip_kernel.migrations import run_env
from hgrip_registry_sync.adapters.tables import metadata

run_env(metadata)
