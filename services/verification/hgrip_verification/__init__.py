"""HGRIP verification service (skeleton): e-mail codes proving a submission account come later."""
import os

# Script location for the ``hgrip.migrations`` entry point (``hgrip_verification:migrations``).
migrations = os.path.join(os.path.dirname(__file__), "migrations")
