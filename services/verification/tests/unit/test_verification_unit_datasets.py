"""check_dataset with a fake repository: match, mismatch, unknown, malformed, repository down."""
import pytest

from hgrip_kernel.errors import InvalidInput, ServiceUnavailable
from hgrip_verification.app.datasets import check_dataset


def check(verification, accession="OMIX001226", account="zhangxx@big.ac.cn", repository="OMIX"):
    return check_dataset(verification.ports, verification.request, repository, accession, account)


def test_the_submitter_s_own_dataset_matches(verification):
    verification.repositories.datasets[("OMIX", "OMIX001226")] = "ZhangXX@big.ac.cn"
    assert check(verification) == {"repository": "OMIX", "accession": "OMIX001226", "submitter_matches": True}
    assert verification.log.lines == [("info", "dataset_checked",
                                       {"repository": "OMIX", "accession": "OMIX001226"})]


@pytest.mark.parametrize("known", [True, False])
def test_someone_else_s_dataset_and_an_unknown_one_get_the_same_refusal(verification, known):
    if known:
        verification.repositories.datasets[("OMIX", "OMIX001226")] = "someone@else.cn"
    with pytest.raises(InvalidInput) as refused:
        check(verification)
    assert refused.value.code == "dataset_account_mismatch"
    assert verification.log.lines == [("info", "dataset_check_refused",
                                       {"repository": "OMIX", "accession": "OMIX001226", "known": known})]


def test_a_malformed_accession_is_refused_without_asking_the_repository(verification):
    with pytest.raises(InvalidInput) as refused:
        check(verification, accession="HRA000567")   # a GSA-Human accession, not an OMIX one
    assert refused.value.code == "dataset_account_mismatch"
    assert verification.repositories.asked == []


def test_a_repository_that_cannot_answer_is_a_503_not_a_mismatch(verification):
    verification.repositories.down = True
    with pytest.raises(ServiceUnavailable) as refused:
        check(verification)
    assert refused.value.code == "repository_unavailable"
    assert refused.value.details == {"repository": "OMIX", "retry_after_seconds": 10}
    assert verification.log.lines == [("warning", "repository_unavailable",
                                       {"repository": "OMIX", "reason": "no answer: ConnectTimeout"})]
