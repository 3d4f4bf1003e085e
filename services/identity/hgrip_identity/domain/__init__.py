"""Identity domain: plain Python aggregates and rules (no nameko, SQL or marshmallow here)."""
from .account import Account, account_id_for, account_stream_id
from .institution import Institution, institution_stream_id
from .roles import LEGAL_PERSON, NATURAL_PERSON, OPERATOR, ROLES, UNIT_ADMIN

__all__ = ["Account", "account_id_for", "account_stream_id", "Institution", "institution_stream_id",
           "ROLES", "NATURAL_PERSON", "LEGAL_PERSON", "UNIT_ADMIN", "OPERATOR"]
