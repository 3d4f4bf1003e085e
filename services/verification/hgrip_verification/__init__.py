"""HGRIP verification service: dataset ownership, e-mailed dataset codes, SMS codes for legacy claims."""
import os

# Script location for the ``hgrip.migrations`` entry point (``hgrip_verification:migrations``).
migrations = os.path.join(os.path.dirname(__file__), "migrations")
