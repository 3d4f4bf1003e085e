"""HGRIP backups service (skeleton): backups, files and backup numbers come in the next issues."""
import os

# Script location for the ``hgrip.migrations`` entry point (``hgrip_backups:migrations``).
migrations = os.path.join(os.path.dirname(__file__), "migrations")
