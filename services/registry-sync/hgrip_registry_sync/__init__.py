"""HGRIP registry-sync service: pushes every submitted backup number to HGRG, once, however long HGRG is away."""
import os

# Script location for the ``hgrip.migrations`` entry point (``hgrip_registry_sync:migrations``).
migrations = os.path.join(os.path.dirname(__file__), "migrations")
