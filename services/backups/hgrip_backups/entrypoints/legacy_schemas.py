"""Validation of the claim RPCs' payloads (manual "备份认领": 原系统注册人姓名, 原系统注册手机号,
手机验证码 / 新委托人). Unknown keys are refused; field errors come back as one ``invalid_input``."""
import re

from marshmallow import validate

from hgrip_kernel.field_rules import USERNAME_MAX
from hgrip_kernel.schema_fields import Trimmed, load_object, mobile_rule, name_rules, no_control

from .schemas import NAME_ERROR, _Closed


class _Registrant(_Closed):
    legacy_name = Trimmed(required=True, validate=name_rules(error=NAME_ERROR))      # 原系统注册人姓名
    # 原系统注册手机号, as the person types it: the gateway's rule (hgrip_kernel.field_rules.MOBILE_PATTERN).
    # Only records read from the old platform's export are forgiven (normalise_mobile).
    legacy_mobile = Trimmed(required=True, validate=mobile_rule())


class ClaimCodeRequestSchema(_Registrant):
    """request_claim_code: who registered the legacy backups."""


class ClaimLegacySchema(_Registrant):
    sms_code = Trimmed(required=True, validate=validate.Regexp(
        re.compile(r"^\d{4,8}$"), error="Enter the code from the SMS."))  # 手机验证码


class InstitutionClaimSchema(_Registrant):
    delegate_account = Trimmed(required=True, validate=[                 # 新委托人 (username)
        validate.Length(min=1, max=USERNAME_MAX, error="Choose the new delegate among your members."), no_control()])


_code_request, _claim, _institution_claim = ClaimCodeRequestSchema(), ClaimLegacySchema(), InstitutionClaimSchema()


def load_claim_code_request(payload) -> dict:
    return load_object(_code_request, payload)


def load_claim_legacy(payload) -> dict:
    return load_object(_claim, payload)


def load_institution_claim(payload) -> dict:
    return load_object(_institution_claim, payload)
