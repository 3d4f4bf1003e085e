"""Legacy backups: import, auto-attach at first login, claims by SMS and by an institution."""


class LegacyClaimsMixin:
    """Part of BackupsService (service.py)."""
