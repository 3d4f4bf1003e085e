"""HGRIP gateway: the one public HTTP door (see README.md)."""
