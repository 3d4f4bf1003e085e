"""HGRIP projects service: researchers' projects, the first step of every backup."""
import os

# Script location for the ``hgrip.migrations`` entry point (``hgrip_projects:migrations``).
migrations = os.path.join(os.path.dirname(__file__), "migrations")
