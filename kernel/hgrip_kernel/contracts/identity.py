"""Public events of the identity service (consumed by projects, backups, HGRG, …).

AccountProvisioned and AccountUpdated have three versions. v3 (written since mobiles stopped
travelling in clear) carries ``mobile_hash``, the keyed hash of the normalised mobile
(``hgrip_kernel.personal_data.mobile_hash``), instead of ``mobile``; v2 added ``email``. Identity's
own store was rewritten to v3 by its migration 0003; a v1/v2 event still met elsewhere (a queue's
backlog, a dead letter) is read through ``upcast_account`` (v1 meaning "no e-mail").

No payload ever carries a password, a hash or a token: PasswordSet only says that it happened.
Account payloads carry the full profile (not a diff), so a consumer that missed or reordered an
event still converges on the latest one it sees (compare the envelope's stream_version).
"""
from collections.abc import Callable

from marshmallow import RAISE, Schema, fields, validate

from ..field_rules import EMAIL_MAX
from ..personal_data import MOBILE_HASH_PATTERN
from . import registry

ROLES = ("natural_person", "legal_person", "unit_admin", "operator")


class _Closed(Schema):
    class Meta:
        unknown = RAISE  # v1 is a closed contract: a new field means a new schema version


class UnitV1(_Closed):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class _InstitutionV1(_Closed):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    foreign = fields.Boolean(required=True)  # foreign-controlled: may never be an applicant
    units = fields.List(fields.Nested(UnitV1), required=True)  # the full list after the change


@registry.register("identity", "InstitutionRegistered", 1)
class InstitutionRegisteredV1(_InstitutionV1):
    """HGRG registered a legal person (法人) with its units."""


@registry.register("identity", "InstitutionUpdated", 1)
class InstitutionUpdatedV1(_InstitutionV1):
    """HGRG changed an institution; ``changed`` names the top-level fields that differ."""
    changed = fields.List(fields.String(validate=validate.OneOf(("code", "name", "foreign", "units"))),
                          required=True)


_PROFILE_FIELDS = ("username", "name", "mobile", "role", "institution", "unit",
                   "real_name_verified", "authorised", "authorised_at", "employed")


class _AccountV1(_Closed):
    account_id = fields.UUID(required=True)
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))  # real name
    mobile = fields.String(required=True, allow_none=True)  # clear (v1/v2 only: v3 has mobile_hash)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    institution = fields.String(required=True, allow_none=True)  # institution code
    unit = fields.String(required=True, allow_none=True)         # unit code
    real_name_verified = fields.Boolean(required=True)
    authorised = fields.Boolean(required=True)
    authorised_at = fields.AwareDateTime(required=True, allow_none=True)
    employed = fields.Boolean(required=True)


@registry.register("identity", "AccountProvisioned", 1)
class AccountProvisionedV1(_AccountV1):
    """HGRG provisioned an account (shared by HGRG and HGRIP)."""


@registry.register("identity", "AccountUpdated", 1)
class AccountUpdatedV1(_AccountV1):
    """HGRG changed an account; ``changed`` names the profile fields that differ."""
    changed = fields.List(fields.String(validate=validate.OneOf(_PROFILE_FIELDS)), required=True)


_PROFILE_FIELDS_V2 = (*_PROFILE_FIELDS, "email")


class _AccountV2(_AccountV1):
    email = fields.String(required=True, allow_none=True,  # where the platform's notices go
                          validate=[validate.Length(max=EMAIL_MAX), validate.Email()])


@registry.register("identity", "AccountProvisioned", 2)
class AccountProvisionedV2(_AccountV2):
    """HGRG provisioned an account (shared by HGRG and HGRIP); v2 adds ``email`` (null: none given)."""


@registry.register("identity", "AccountUpdated", 2)
class AccountUpdatedV2(_AccountV2):
    """HGRG changed an account; ``changed`` names the profile fields that differ (``email`` among them)."""
    changed = fields.List(fields.String(validate=validate.OneOf(_PROFILE_FIELDS_V2)), required=True)


_PROFILE_FIELDS_V3 = tuple("mobile_hash" if name == "mobile" else name for name in _PROFILE_FIELDS_V2)


class _AccountV3(_Closed):
    account_id = fields.UUID(required=True)
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))  # real name
    # HMAC-SHA256 of the normalised mobile (null: none): legacy backups match on it; never the number.
    mobile_hash = fields.String(required=True, allow_none=True, validate=validate.Regexp(MOBILE_HASH_PATTERN))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    institution = fields.String(required=True, allow_none=True)  # institution code
    unit = fields.String(required=True, allow_none=True)         # unit code
    real_name_verified = fields.Boolean(required=True)
    authorised = fields.Boolean(required=True)
    authorised_at = fields.AwareDateTime(required=True, allow_none=True)
    employed = fields.Boolean(required=True)
    email = fields.String(required=True, allow_none=True,
                          validate=[validate.Length(max=EMAIL_MAX), validate.Email()])


@registry.register("identity", "AccountProvisioned", 3)
class AccountProvisionedV3(_AccountV3):
    """HGRG provisioned an account; v3 carries ``mobile_hash`` instead of the clear ``mobile``."""


@registry.register("identity", "AccountUpdated", 3)
class AccountUpdatedV3(_AccountV3):
    """HGRG changed an account; ``changed`` names the profile fields that differ (``mobile_hash`` for
    the mobile)."""
    changed = fields.List(fields.String(validate=validate.OneOf(_PROFILE_FIELDS_V3)), required=True)


ACCOUNT_EVENTS = ("AccountProvisioned", "AccountUpdated")
ACCOUNT_EVENT_VERSION = 3


def upcast_account(data: dict, version: int, hash_mobile: Callable[[object], str | None]) -> dict:
    """A v1/v2 AccountProvisioned/AccountUpdated payload as v3 (a v3 one unchanged): the clear
    ``mobile`` becomes ``hash_mobile(mobile)``, a missing ``email`` None."""
    if version >= ACCOUNT_EVENT_VERSION:
        return data
    upcast = {key: value for key, value in data.items() if key != "mobile"}
    upcast["mobile_hash"] = hash_mobile(data.get("mobile"))
    upcast.setdefault("email", None)
    if "changed" in data:
        upcast["changed"] = sorted("mobile_hash" if name == "mobile" else name for name in data["changed"])
    return upcast


@registry.register("identity", "PasswordSet", 1)
class PasswordSetV1(_Closed):
    account_id = fields.UUID(required=True)


@registry.register("identity", "LoginSucceeded", 1)
class LoginSucceededV1(_Closed):
    """``first_login`` lets backups attach legacy backups at a natural person's first login."""
    account_id = fields.UUID(required=True)
    at = fields.AwareDateTime(required=True)
    first_login = fields.Boolean(required=True)


@registry.register("identity", "LoginFailed", 1)
class LoginFailedV1(_Closed):
    account_id = fields.UUID(required=True)
    at = fields.AwareDateTime(required=True)
    failures = fields.Integer(required=True, validate=validate.Range(min=1))  # consecutive


@registry.register("identity", "AccountLocked", 1)
class AccountLockedV1(_Closed):
    account_id = fields.UUID(required=True)
    locked_until = fields.AwareDateTime(required=True)
    failures = fields.Integer(required=True, validate=validate.Range(min=1))


class ReplayedMessageV1(_Closed):
    message_id = fields.String(required=True, allow_none=True)
    service = fields.String(required=True, allow_none=True)
    queue = fields.String(required=True, allow_none=True)
    event_type = fields.String(required=True, allow_none=True)


@registry.register("identity", "OperatorActionRecorded", 1)
class OperatorActionRecordedV1(_Closed):
    """An operator did something on the console (stream ``operator-audit``): today, replaying one
    dead letter (``target`` its message id) or all of them (``target`` null). Private: not published."""
    operator_id = fields.UUID(required=True)
    operator_username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    operator_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    action = fields.String(required=True, validate=validate.OneOf(("dead_letter_replayed", "dead_letters_replayed")))
    target = fields.String(required=True, allow_none=True)
    replayed = fields.List(fields.Nested(ReplayedMessageV1), required=True)
    at = fields.AwareDateTime(required=True)
