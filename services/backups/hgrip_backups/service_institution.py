"""Institution views (法人/单位管理员 "备份查看"): backup list and detail, members, delegates."""


class InstitutionViewsMixin:
    """Part of BackupsService (service.py)."""
