"""HGRIP backups service: backups under projects, their data files, submission and backup numbers."""
import os

# Script location for the ``hgrip.migrations`` entry point (``hgrip_backups:migrations``).
migrations = os.path.join(os.path.dirname(__file__), "migrations")
