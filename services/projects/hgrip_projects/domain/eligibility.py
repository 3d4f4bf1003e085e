"""Who may create projects (manual "创建项目信息"; FAQ §5.5 on foreign control).

Takes the account exactly as identity.get_account returns it, as plain data.
"""
from . import refusals

NATURAL_PERSON = "natural_person"


def check_may_create_projects(account: dict) -> None:
    """Raise the first refusal that applies, checked from the most basic fact down."""
    if account.get("role") != NATURAL_PERSON:
        raise refusals.natural_person_only()
    if account.get("real_name_verified") is not True:
        raise refusals.real_name_required()
    institution = account.get("institution")
    # An authorisation without an institution to fill in is no authorisation at all.
    if account.get("authorised") is not True or not institution or not institution.get("code"):
        raise refusals.authorisation_required()
    if institution.get("foreign") is not False:
        # Unknown (None/missing) control is refused too: the rule forbids, so doubt forbids.
        raise refusals.foreign_institution()
