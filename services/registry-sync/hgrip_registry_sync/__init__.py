"""HGRIP registry-sync service (skeleton): will push backup numbers to HGRG and track each push."""
import os

# Script location for the ``hgrip.migrations`` entry point (``hgrip_registry_sync:migrations``).
migrations = os.path.join(os.path.dirname(__file__), "migrations")
