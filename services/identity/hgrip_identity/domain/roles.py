"""Roles an HGRG account can hold, and where each role sits in an institution (brief §2)."""
from hgrip_kernel.errors import InvalidInput

NATURAL_PERSON = "natural_person"   # 自然人: the business layer
LEGAL_PERSON = "legal_person"       # 法人: the whole institution
UNIT_ADMIN = "unit_admin"           # 单位管理员: one unit of an institution
OPERATOR = "operator"               # NGDC staff: support and audit, belongs to no institution

ROLES = (NATURAL_PERSON, LEGAL_PERSON, UNIT_ADMIN, OPERATOR)


def _refuse(field: str, message: str, message_zh: str) -> InvalidInput:
    return InvalidInput("invalid_input", message, message_zh, {field: [message]})


def check_placement(role: str, institution: str | None, unit: str | None) -> None:
    """Refuse an institution/unit combination that the role cannot have.

    A legal person is the whole institution, so a unit would narrow what it sees by mistake;
    a unit admin without a unit would silently see nothing (or everything): both are refused.
    """
    if role not in ROLES:
        raise _refuse("role", f"role must be one of {', '.join(ROLES)}", f"角色必须是 {'、'.join(ROLES)} 之一")
    if role != OPERATOR and not institution:
        raise _refuse("institution", f"a {role} account needs an institution", "该角色的账号必须属于一个法人单位")
    if role == LEGAL_PERSON and unit:
        raise _refuse("unit", "a legal_person account covers the whole institution and takes no unit",
                      "法人账号代表整个单位，不能指定下属单位")
    if role == UNIT_ADMIN and not unit:
        raise _refuse("unit", "a unit_admin account needs a unit", "单位管理员账号必须指定所属单位")
    if unit and not institution:
        raise _refuse("unit", "a unit needs an institution", "指定单位时必须同时指定法人单位")


def check_membership(institution: str | None, unit: str | None, known_units: dict | None) -> None:
    """Refuse an institution HGRG has not registered here, or a unit it does not have.

    ``known_units`` is the institution's {unit code: name}, or None when the institution is unknown.
    """
    if institution and known_units is None:
        raise InvalidInput("invalid_input", f"unknown institution {institution!r}", f"未知的法人单位 {institution!r}",
                           {"institution": [f"unknown institution {institution!r}"]})
    if unit and unit not in (known_units or {}):
        raise InvalidInput("invalid_input", f"institution {institution!r} has no unit {unit!r}",
                           f"法人单位 {institution!r} 下没有单位 {unit!r}",
                           {"unit": [f"unknown unit {unit!r} in institution {institution!r}"]})
