"""HttpRepositoryClient against the real repositories stand-in: found, not found, and every way of
not being able to tell (down, slow, nobody there, a wrong URL)."""
import pytest

from hgrip_verification.adapters.repositories import HttpRepositoryClient
from hgrip_verification.app.ports import Dataset, RepositoryUnavailable


def test_finds_a_dataset(repositories):
    client = HttpRepositoryClient(repositories.url)
    assert client.find_dataset("OMIX", "OMIX001226") == Dataset(
        repository="OMIX", accession="OMIX001226", submitter="zhangxx@big.ac.cn",
        title="三例样本（父母子）的测序数据分析结果", released="2023-06-28")
    assert client.find_dataset("GSA-Human", "HRA000567").submitter == "data-admin@big.ac.cn"
    assert client.find_dataset("GWH", "GWHBCKY00000000.1").accession == "GWHBCKY00000000.1"
    assert HttpRepositoryClient(repositories.url + "/").find_dataset("GVM", "GVM000001") is not None


@pytest.mark.parametrize("repository,accession", [
    ("OMIX", "OMX001226"), ("OMIX", "OMIX009999"), ("GSA-Human", "OMIX001226"),
    ("OMIX", "OMIX001226/../OMIX000208"),   # quoted: cannot walk to another dataset
])
def test_an_unknown_accession_is_none(repositories, repository, accession):
    assert HttpRepositoryClient(repositories.url).find_dataset(repository, accession) is None


def test_a_repository_that_is_down_is_unavailable_not_unknown(repositories):
    client = HttpRepositoryClient(repositories.url)
    repositories.set_mode("down")
    with pytest.raises(RepositoryUnavailable) as caught:
        client.find_dataset("OMIX", "OMIX001226")
    assert caught.value.repository == "OMIX" and "503" in caught.value.reason
    repositories.set_mode("ok")
    assert client.find_dataset("OMIX", "OMIX001226") is not None


def test_a_slow_repository_times_out(repositories):
    repositories.set_mode("slow", delay_ms=1500)
    with pytest.raises(RepositoryUnavailable) as caught:
        HttpRepositoryClient(repositories.url, timeout=0.3).find_dataset("OMIX", "OMIX001226")
    assert "Timeout" in caught.value.reason


def test_nobody_listening_is_unavailable(free_port):
    with pytest.raises(RepositoryUnavailable) as caught:
        HttpRepositoryClient(f"http://127.0.0.1:{free_port}", timeout=2).find_dataset("GVM", "GVM000001")
    assert "ConnectionError" in caught.value.reason


def test_a_404_that_is_not_the_protocols_is_unavailable(repositories):
    # A wrong base URL 404s everything: that must not read as "this accession does not exist".
    with pytest.raises(RepositoryUnavailable):
        HttpRepositoryClient(repositories.url + "/wrong-prefix").find_dataset("OMIX", "OMIX001226")
    with pytest.raises(RepositoryUnavailable):   # repository_not_found: a broken adapter, not the user's fault
        HttpRepositoryClient(repositories.url).find_dataset("SRA", "SRR000001")


@pytest.fixture
def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
