"""Who sees what (brief §2, manual "法人/单位管理员"): the rules, as plain Python.

- a natural person sees the backups delegated to them (their own), nothing through the
  institution views;
- a unit administrator sees every backup and member of their own unit;
- a legal person sees every backup and member of every unit of their institution;
- nobody sees another institution's backups or members; operators have no institution views.
The SQL form of the same rule is ``members.scope_clause``; tests check both agree.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import refusals

NATURAL_PERSON = "natural_person"
LEGAL_PERSON = "legal_person"
UNIT_ADMIN = "unit_admin"
OPERATOR = "operator"
ADMIN_ROLES = (LEGAL_PERSON, UNIT_ADMIN)


@dataclass(frozen=True)
class Authority:
    """The actor as the rules need it: role and placement, from identity's events."""
    account_id: str
    role: str
    institution_code: str | None
    unit_code: str | None
    employed: bool = True

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES and self.institution_code is not None and self.employed \
            and (self.role == LEGAL_PERSON or self.unit_code is not None)

    def require_admin(self) -> "Authority":
        if not self.is_admin:
            raise refusals.institution_admins_only()
        return self

    def require_operator(self) -> "Authority":
        """The operator's console (read-only: an operator never edits a backup)."""
        if self.role != OPERATOR:
            raise refusals.operators_only()
        return self

    def covers(self, institution_code: str | None, unit_code: str | None) -> bool:
        """Whether something placed at (institution, unit) is within this administrator's view."""
        if not self.is_admin or institution_code != self.institution_code:
            return False
        return self.role == LEGAL_PERSON or unit_code == self.unit_code


def authority_of(member: Mapping[str, Any]) -> Authority:
    """The authority of a member as the members read model has them."""
    return Authority(account_id=member["account_id"], role=member["role"],
                     institution_code=member["institution_code"], unit_code=member["unit_code"],
                     employed=bool(member["employed"]))
