"""Identity's use cases: provisioning from HGRG, login, authorisation (plain Python over ports)."""
