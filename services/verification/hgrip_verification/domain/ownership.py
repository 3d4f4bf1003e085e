"""Whose dataset is it: the repository's submitter must be the submission account the user typed.

Manual "数据文件信息校验": the platform checks the account against the accession; an unknown
accession gets the same answer as someone else's, so the check reveals nothing about other accounts.
"""
from . import refusals


def normalise_account(account: str | None) -> str:
    # E-mail addresses are compared trimmed and case-insensitively (users type them in any case).
    return (account or "").strip().lower()


def submitter_matches(submitter: str | None, submission_account: str | None) -> bool:
    wanted = normalise_account(submission_account)
    return bool(wanted) and normalise_account(submitter) == wanted


def check_ownership(dataset, submission_account: str) -> None:
    """``dataset`` is the repository's record (anything with ``.submitter``) or None when unknown."""
    if dataset is None or not submitter_matches(dataset.submitter, submission_account):
        raise refusals.dataset_account_mismatch()
