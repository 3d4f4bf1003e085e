"""Legacy backups: numbered on the old platform, imported, then claimed (filled in by the legacy work)."""


class LegacyMixin:
    """Commands and event handlers of the Backup aggregate for legacy backups."""
