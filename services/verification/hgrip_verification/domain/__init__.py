"""Verification domain: plain Python, no nameko, SQLAlchemy or marshmallow."""
from .code_hash import code_matches, hash_code
from .code_policy import (
    MAIL_CODES,
    MAX_FAILURES,
    RESEND_INTERVAL,
    SMS_CODES,
    VALIDITY,
    CodePolicy,
    attempts_left,
    new_code,
)
from .mail import CodeMail, compose_code_mail
from .ownership import check_ownership, submitter_matches
from .repositories import REPOSITORIES, Repository, accession_is_well_formed, repository
from .request import VerificationRequest, request_stream_id
from .sms import PURPOSES, SmsCodeRequest, compose_sms_text, sms_hash_scope, sms_stream_id

__all__ = [
    "MAIL_CODES",
    "MAX_FAILURES",
    "PURPOSES",
    "REPOSITORIES",
    "RESEND_INTERVAL",
    "SMS_CODES",
    "VALIDITY",
    "CodeMail",
    "CodePolicy",
    "Repository",
    "SmsCodeRequest",
    "VerificationRequest",
    "accession_is_well_formed",
    "attempts_left",
    "check_ownership",
    "code_matches",
    "compose_code_mail",
    "compose_sms_text",
    "hash_code",
    "new_code",
    "repository",
    "request_stream_id",
    "sms_hash_scope",
    "sms_stream_id",
    "submitter_matches",
]
