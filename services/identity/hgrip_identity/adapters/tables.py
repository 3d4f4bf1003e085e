"""Every table and index of the identity database, on one ``metadata`` (the migrations' env.py uses it).

Read models rebuilt from events (institutions, units, accounts) and the non-evented credentials and
sealed mobiles.
"""
from sqlalchemy import Boolean, Column, ForeignKey, Integer, MetaData, String, Table, Text

from hgrip_kernel.store.tables import UTCDateTime

metadata = MetaData()

institutions = Table(
    "institutions", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("foreign", Boolean, nullable=False),  # foreign-controlled: never an applicant
    Column("version", Integer, nullable=False),  # stream version this row reflects
    Column("updated_at", UTCDateTime, nullable=False),
)

units = Table(
    "units", metadata,
    Column("institution_code", String(64), ForeignKey("institutions.code", ondelete="CASCADE"),
           primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("institution_code", String(64), ForeignKey("institutions.code"), index=True),
    Column("unit_code", String(64)),
    Column("real_name_verified", Boolean, nullable=False),
    Column("authorised", Boolean, nullable=False),
    Column("authorised_at", UTCDateTime),
    Column("employed", Boolean, nullable=False),
    Column("email", String(254)),                # where notices go (None: none given); EMAIL_MAX
    Column("failures", Integer, nullable=False),
    Column("locked_until", UTCDateTime),
    Column("last_login_at", UTCDateTime),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Not evented on purpose: a hash in an event would be published and kept forever.
credentials = Table(
    "credentials", metadata,
    Column("account_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Not evented either: the mobile number, sealed (hgrip_kernel.personal_data.Cipher) under the key
# ``key_id``; events and the accounts row carry only its keyed hash. ``mobile_masked`` (138****5678)
# is what answers show, so an answer never needs the key.
account_mobiles = Table(
    "account_mobiles", metadata,
    Column("account_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("key_id", String(32), nullable=False, index=True),
    Column("mobile_sealed", Text, nullable=False),
    Column("mobile_masked", String(20), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
