"""Who may become a delegate (委托人), written once: delegation transfer (委托调整) and institution
claims of legacy backups (备份认领) both move backups to a member the administrator names.

- the member must be within the administrator's view (another unit or institution, or nobody,
  is answered the same way: ``member_not_found``);
- the new delegate must be a natural person, still employed.
"""
from collections.abc import Mapping
from typing import Any

from . import refusals
from .scope import NATURAL_PERSON, Authority

Member = Mapping[str, Any]   # a member row as the read model gives it


def member_in_scope(authority: Authority, member: Member | None, field: str, username: str) -> Member:
    """``member`` (found by ``username``) if the administrator may act on them, else the refusal."""
    if member is None or not authority.covers(member["institution_code"], member["unit_code"]):
        raise refusals.member_not_found(field, username)
    return member


def check_delegate(member: Member, username: str) -> None:
    """The new delegate of backups: a natural person, employed."""
    if member["role"] != NATURAL_PERSON:
        raise refusals.delegate_not_natural_person(username)
    if not member["employed"]:
        raise refusals.delegate_not_employed(username)
