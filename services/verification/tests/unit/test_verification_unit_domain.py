"""Verification rules, plain Python: code policy, ownership, the aggregate, the mail, the hash."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from hgrip_kernel.contracts import registry
from hgrip_kernel.errors import DomainError, InvalidInput, Locked, NotFound, TooManyRequests
from hgrip_verification.app.ports import Dataset
from hgrip_verification.domain import (
    REPOSITORIES,
    VerificationRequest,
    accession_is_well_formed,
    check_ownership,
    code_matches,
    code_policy,
    compose_code_mail,
    hash_code,
    new_code,
    request_stream_id,
    submitter_matches,
)
from hgrip_verification.domain.request import DatasetRef

NOW = datetime(2023, 6, 28, 10, 3, 53, tzinfo=UTC)
FILE = "6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab"
BACKUP = "0b7e6a4c-8f3e-4f7a-9a59-3f7f5b0c1d2e"
REF = DatasetRef(FILE, BACKUP, "OMIX", "OMIX001226", "zhangxx@big.ac.cn")


# --- code policy ---------------------------------------------------------------------------------
def test_codes_are_six_random_digits_with_leading_zeros_kept():
    codes = {new_code() for _ in range(2000)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 1900                            # random, not a counter or a constant
    assert any(c.startswith("0") for c in codes)         # 000123 is a code like any other
    assert code_policy.is_well_formed("012345")
    for bad in ("12345", "1234567", "12345a", "１２３４５６", 123456, None):
        assert not code_policy.is_well_formed(bad)


def test_a_code_is_valid_for_48_hours_exactly():
    expiry = code_policy.expires_at(NOW)
    assert expiry - NOW == timedelta(hours=48)
    assert not code_policy.is_expired(expiry, NOW + timedelta(hours=47, minutes=59, seconds=59))
    assert code_policy.is_expired(expiry, NOW + timedelta(hours=48))


def test_a_new_code_may_be_sent_every_5_minutes():
    assert code_policy.resend_available_at(NOW) == NOW + timedelta(minutes=5)
    assert code_policy.retry_after_seconds(NOW, NOW) == 300
    assert code_policy.retry_after_seconds(NOW, NOW + timedelta(seconds=299, milliseconds=1)) == 1  # rounded up
    assert code_policy.retry_after_seconds(NOW, NOW + timedelta(minutes=5)) == 0


def test_five_wrong_tries_lock():
    assert [code_policy.attempts_left(n) for n in range(7)] == [5, 4, 3, 2, 1, 0, 0]
    assert not code_policy.locks_after(4) and code_policy.locks_after(5)


# --- ownership -------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["zhangxx@big.ac.cn", "ZhangXX@BIG.ac.cn", "  zhangxx@big.ac.cn\t"])
def test_the_submitter_matches_trimmed_and_case_insensitively(typed):
    assert submitter_matches("zhangxx@big.ac.cn", typed)
    check_ownership(Dataset("OMIX", "OMIX001226", "Zhangxx@big.ac.cn "), typed)


@pytest.mark.parametrize("submitter,typed", [
    ("zhangxx@big.ac.cn", "data-admin@big.ac.cn"),
    ("zhangxx@big.ac.cn", "zhangxx@big.ac.cn.evil.example"),
    ("zhangxx@big.ac.cn", ""), ("", ""), (None, "zhangxx@big.ac.cn"),
])
def test_anyone_else_does_not_match(submitter, typed):
    assert not submitter_matches(submitter, typed)


def test_someone_elses_dataset_and_an_unknown_one_get_the_same_refusal():
    refusals = []
    for dataset in (Dataset("OMIX", "OMIX001226", "zhangxx@big.ac.cn"), None):
        with pytest.raises(InvalidInput) as caught:
            check_ownership(dataset, "data-admin@big.ac.cn")
        refusals.append(caught.value.to_dict())
    assert refusals[0] == refusals[1]
    assert refusals[0]["code"] == "dataset_account_mismatch"
    assert refusals[0]["message_zh"] == "提交账号与数据集序列号不匹配"
    assert refusals[0]["message"] == "The submission account and the dataset accession do not match."


def test_accession_formats_are_strict():
    good = {"GSA-Human": "HRA000567", "GWH": "GWHBJXE00000000.1", "GVM": "GVM000001",
            "GenBase": "C_AA000112.1", "OMIX": "OMIX000731-01"}
    for repository, accession in good.items():
        assert accession_is_well_formed(repository, accession)
    for repository, accession in [("OMIX", "OMX001226"), ("OMIX", "omix001226"), ("OMIX", "OMIX001226\n"),
                                  ("GSA-Human", "OMIX001226"), ("GenBase", "C_AA000112"), ("GWH", "GWHBJX00000000"),
                                  ("SRA", "SRR000001")]:
        assert not accession_is_well_formed(repository, accession)
    assert {r.url for r in REPOSITORIES.values()} == {
        "https://ngdc.cncb.ac.cn/gsa-human/", "https://ngdc.cncb.ac.cn/gwh/", "https://ngdc.cncb.ac.cn/gvm/",
        "https://ngdc.cncb.ac.cn/genbase/", "https://ngdc.cncb.ac.cn/omix/"}


# --- the aggregate ---------------------------------------------------------------------------------
def issued(now=NOW) -> VerificationRequest:
    request = VerificationRequest(request_stream_id(FILE))
    request.issue(REF, now)
    return request


def test_issuing_records_the_expiry_never_the_code():
    request = issued()
    assert request.id == f"verification-{FILE}" and request.stream_type == "verification"
    [event] = request.pending
    assert event.type == "CodeIssued"
    assert event.data == {"file_id": FILE, "backup_id": BACKUP, "repository": "OMIX", "accession": "OMIX001226",
                          "submission_account": "zhangxx@big.ac.cn", "issued_at": "2023-06-28T10:03:53+00:00",
                          "expires_at": "2023-06-30T10:03:53+00:00"}
    assert request.resend_available_at() == NOW + timedelta(minutes=5)


def test_resend_is_refused_for_5_minutes_with_the_wait():
    request = issued()
    with pytest.raises(TooManyRequests) as caught:
        request.issue(REF, NOW + timedelta(minutes=4, seconds=30))
    assert caught.value.code == "code_resend_too_soon" and caught.value.http_status == 429
    assert caught.value.details == {"retry_after_seconds": 30, "resend_available_at": "2023-06-28T10:08:53+00:00"}
    request.issue(REF, NOW + timedelta(minutes=5))
    assert [e.type for e in request.pending] == ["CodeIssued", "CodeIssued"]


def test_the_right_code_verifies_once_and_a_repeat_answers_the_same():
    request = issued()
    assert request.verify(True, NOW + timedelta(hours=1)) is None
    assert request.pending[-1].type == "DatasetVerified"
    data = request.pending[-1].data
    assert data == {"file_id": FILE, "backup_id": BACKUP, "repository": "OMIX", "accession": "OMIX001226",
                    "verified_at": "2023-06-28T11:03:53+00:00"}
    registry.validate("verification", "DatasetVerified", 1, data)   # the published contract
    request.mark_saved()
    assert request.verify(True, NOW + timedelta(hours=2)) is None and request.pending == []
    assert request.verified_result() == {"verified": True, "file_id": FILE, "accession": "OMIX001226",
                                         "repository": "OMIX", "verified_at": "2023-06-28T11:03:53+00:00"}


def test_five_wrong_codes_lock_until_a_new_code_is_sent():
    request = issued()
    answers = [request.verify(False, NOW) for _ in range(5)]
    assert [a.details["attempts_left"] for a in answers] == [4, 3, 2, 1, 0]
    assert all(a.code == "verification_code_invalid" for a in answers)
    assert [e.type for e in request.pending] == ["CodeIssued"] + ["CodeRejected"] * 5 + ["VerificationLocked"]
    assert request.locked and request.failures == 5
    before = list(request.pending)
    for right in (False, True):  # even the right code: a locked code is spent
        with pytest.raises(Locked) as caught:
            request.verify(right, NOW)
        assert caught.value.code == "verification_locked" and caught.value.http_status == 423
    assert request.pending == before                      # refusals after the lock record nothing
    request.issue(REF, NOW + timedelta(minutes=5))      # a new code replaces the old, lock and all
    assert not request.locked and request.failures == 0
    assert request.verify(True, NOW + timedelta(minutes=6)) is None


def test_an_expired_code_is_refused_and_counts_nothing():
    request = issued()
    with pytest.raises(InvalidInput) as caught:
        request.verify(True, NOW + timedelta(hours=48))
    assert caught.value.code == "verification_code_expired"
    assert [e.type for e in request.pending] == ["CodeIssued"]
    assert request.verify(True, NOW + timedelta(hours=47, minutes=59)) is None


def test_no_code_no_verification():
    with pytest.raises(NotFound) as caught:
        VerificationRequest(request_stream_id(FILE)).verify(True, NOW)
    assert caught.value.code == "verification_code_not_requested"


def test_rehydrating_folds_every_event(replay):
    source = issued()
    source.verify(False, NOW)
    source.verify(False, NOW)
    request = replay(source)
    assert (request.version, request.failures, request.locked, request.dataset) == (3, 2, False, REF)
    assert request.expires_at == NOW + timedelta(hours=48)


# --- the mail ------------------------------------------------------------------------------------
def test_the_mail_says_who_what_where_and_for_how_long_in_chinese_then_english():
    mail = compose_code_mail(to="zhangxx@big.ac.cn", code="320000", requester_name="张晓寒",
                             project_name="三例样本（父母子）的测序数据开放共享备案", repository="OMIX",
                             accession="OMIX001226", issued_at=NOW)
    assert mail.to == "zhangxx@big.ac.cn"
    assert mail.subject == "【人类遗传资源信息管理备份平台】数据集验证码"
    text = mail.text
    assert "zhangxx@big.ac.cn\n\n您好，您的验证码为：320000" in text
    assert ("该验证码由张晓寒通过人类遗传资源信息管理备份平台向您发送，"
            "用于确认您在OMIX (https://ngdc.cncb.ac.cn/omix/) "
            "系统中提交的编号为 OMIX001226 的数据集在人类遗传资源信息管理备份平台中使用，"
            "相关项目名称为“三例样本（父母子）的测序数据开放共享备案”。") in text
    assert "此验证码有效期48小时，请勿外泄。" in text
    assert "2023-06-28" in text                                  # the day, in Beijing time
    english = text[text.index("Hello"):]
    for part in ("Your verification code is: 320000", "张晓寒", "OMIX (https://ngdc.cncb.ac.cn/omix/)",
                 "OMIX001226", "48 hours", "三例样本（父母子）的测序数据开放共享备案"):
        assert part in english
    assert text.index("您好") < text.index("Hello")              # Chinese first
    assert text.count("320000") == 2


def test_the_mail_names_each_repository_with_its_url():
    for code, repository in REPOSITORIES.items():
        mail = compose_code_mail(to="a@b.cn", code="000001", requester_name="x", project_name="p",
                                 repository=code, accession="A1", issued_at=NOW)
        assert f"{code} ({repository.url})" in mail.text


# --- the hash --------------------------------------------------------------------------------------
def test_codes_are_kept_as_hmac_tied_to_their_file():
    digest = hash_code("secret-1", FILE, "320000")
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and "320000" not in digest
    assert code_matches("secret-1", FILE, "320000", digest)
    assert not code_matches("secret-1", FILE, "320001", digest)
    assert not code_matches("secret-2", FILE, "320000", digest)       # keyed
    assert hash_code("secret-1", BACKUP, "320000") != digest          # the same code elsewhere differs
    assert not code_matches("secret-1", FILE, "320000", None)
    with pytest.raises(ValueError):
        hash_code("", FILE, "320000")


def test_every_refusal_has_english_and_chinese_messages():
    from hgrip_verification.domain import refusals
    made = [refusals.dataset_account_mismatch(), refusals.repository_unavailable("OMIX"),
            refusals.mail_unavailable(), refusals.code_resend_too_soon(10, NOW.isoformat()),
            refusals.verification_code_invalid(3), refusals.verification_code_expired(),
            refusals.verification_locked(), refusals.verification_code_not_requested()]
    assert len({e.code for e in made}) == len(made)
    for error in made:
        assert isinstance(error, DomainError)
        assert error.message.isascii() and not error.message_zh.isascii()
    assert [e.http_status for e in made] == [400, 503, 503, 429, 400, 400, 423, 404]
