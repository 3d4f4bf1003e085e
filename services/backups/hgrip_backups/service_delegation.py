"""Delegation transfer (委托调整): all backups and projects of one natural person to another."""


class DelegationMixin:
    """Part of BackupsService (service.py)."""
