"""Verification domain: plain Python, no nameko, SQLAlchemy or marshmallow."""
from .code_hash import code_matches, hash_code
from .code_policy import (
    MAX_FAILURES,
    RESEND_INTERVAL,
    VALIDITY,
    attempts_left,
    new_code,
)
from .mail import CodeMail, compose_code_mail
from .ownership import check_ownership, submitter_matches
from .repositories import REPOSITORIES, Repository, accession_is_well_formed, repository
from .request import VerificationRequest, request_stream_id

__all__ = [
    "MAX_FAILURES",
    "REPOSITORIES",
    "RESEND_INTERVAL",
    "VALIDITY",
    "CodeMail",
    "Repository",
    "VerificationRequest",
    "accession_is_well_formed",
    "attempts_left",
    "check_ownership",
    "code_matches",
    "compose_code_mail",
    "hash_code",
    "new_code",
    "repository",
    "request_stream_id",
    "submitter_matches",
]
