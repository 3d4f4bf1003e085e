"""The repositories stand-in: datasets by accession, 404s that say why, a control that makes it fail."""
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

SEED = Path(__file__).resolve().parents[2] / "repositories-seed.json"
FORMATS = {"GSA-Human": r"HRA\d{6}", "GWH": r"GWH[A-Z]{4}\d{8}(\.\d+)?", "GVM": r"GVM\d{6}",
           "GenBase": r"C_[A-Z]{2}\d{6}\.\d+", "OMIX": r"OMIX\d{6}(-\d{2})?"}


@pytest.fixture
def repositories(standin):
    address, _ = standin(["hgrip_standins.repositories"], "HGRIP_REPOSITORIES_ADDRESS")
    return f"http://{address}/repositories"


def test_the_seed_covers_every_repository_in_its_own_format():
    datasets = json.loads(SEED.read_text(encoding="utf-8"))["datasets"]
    assert len(datasets) >= 40
    for repository, pattern in FORMATS.items():
        mine = [d for d in datasets if d["repository"] == repository]
        assert len(mine) >= 8, repository
        for dataset in mine:
            assert re.fullmatch(pattern, dataset["accession"]), dataset
            assert re.fullmatch(r"[a-z0-9.\-]+@[a-z0-9.\-]+\.[a-z]{2,}", dataset["submitter"]), dataset
    assert {d["repository"] for d in datasets} == set(FORMATS)
    by_key = {(d["repository"], d["accession"]): d["submitter"] for d in datasets}
    assert by_key[("GSA-Human", "HRA000567")] == "data-admin@big.ac.cn"
    assert by_key[("OMIX", "OMIX001226")] == "zhangxx@big.ac.cn"
    assert sum(1 for d in datasets if d["submitter"] == "data-admin@big.ac.cn") >= 5
    assert len({d["submitter"] for d in datasets}) >= 10


def test_finds_datasets_by_accession(repositories):
    found = requests.get(f"{repositories}/OMIX/datasets/OMIX001226", timeout=5)
    assert found.status_code == 200
    assert found.json() == {"repository": "OMIX", "accession": "OMIX001226", "submitter": "zhangxx@big.ac.cn",
                            "title": "三例样本（父母子）的测序数据分析结果", "released": "2023-06-28"}
    assert requests.get(f"{repositories}/GSA-Human/datasets/HRA000567", timeout=5).json()["submitter"] \
        == "data-admin@big.ac.cn"
    # Every format, including versions and suffixes, reaches its dataset.
    for repository, accession in [("GWH", "GWHBCKY00000000.1"), ("GenBase", "C_AA000112.1"),
                                  ("OMIX", "OMIX000731-01"), ("GVM", "GVM000001")]:
        answer = requests.get(f"{repositories}/{repository}/datasets/{accession}", timeout=5)
        assert answer.status_code == 200 and answer.json()["accession"] == accession


def test_unknown_accession_and_repository_are_404_with_a_reason(repositories):
    for path, error in [("/OMIX/datasets/OMX001226", "dataset_not_found"),       # the manual's typo
                        ("/OMIX/datasets/omix001226", "dataset_not_found"),      # case matters
                        ("/GSA-Human/datasets/OMIX001226", "dataset_not_found"),  # wrong repository
                        ("/OMIX/datasets/OMIX001226%2F..", "dataset_not_found"),
                        ("/SRA/datasets/SRR000001", "repository_not_found")]:
        answer = requests.get(repositories + path, timeout=5)
        assert answer.status_code == 404, path
        assert answer.json()["error"] == error, path
    assert requests.get(f"{repositories}/OMIX", timeout=5).status_code == 404
    assert requests.post(f"{repositories}/OMIX/datasets/OMIX001226", timeout=5).status_code == 405


def test_lists_a_repository_optionally_by_submitter(repositories):
    listed = requests.get(f"{repositories}/GSA-Human/datasets", timeout=5).json()
    assert listed["repository"] == "GSA-Human" and listed["count"] == len(listed["items"]) >= 8
    accessions = [item["accession"] for item in listed["items"]]
    assert accessions == sorted(accessions) and "HRA000567" in accessions
    mine = requests.get(f"{repositories}/GSA-Human/datasets", params={"submitter": " Data-Admin@BIG.ac.cn "},
                        timeout=5).json()
    assert mine["count"] >= 2 and {item["submitter"] for item in mine["items"]} == {"data-admin@big.ac.cn"}


def test_control_makes_it_unavailable_and_back(repositories):
    assert requests.get(f"{repositories}/healthz", timeout=5).json()["mode"] == "ok"
    down = requests.post(f"{repositories}/control", json={"mode": "down"}, timeout=5)
    assert down.status_code == 200 and down.json()["mode"] == "down"
    refused = requests.get(f"{repositories}/OMIX/datasets/OMIX001226", timeout=5)
    assert refused.status_code == 503 and refused.json()["error"] == "unavailable"
    assert requests.get(f"{repositories}/OMIX/datasets", timeout=5).status_code == 503
    health = requests.get(f"{repositories}/healthz", timeout=5)
    assert health.status_code == 200 and health.json()["mode"] == "down"    # the process itself is fine

    requests.post(f"{repositories}/control", json={"mode": "slow", "delay_ms": 600}, timeout=5).raise_for_status()
    started = time.monotonic()
    assert requests.get(f"{repositories}/OMIX/datasets/OMIX001226", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.55

    requests.post(f"{repositories}/control", json={"mode": "ok"}, timeout=5).raise_for_status()
    assert requests.get(f"{repositories}/OMIX/datasets/OMIX001226", timeout=5).status_code == 200
    for bad in ({"mode": "sideways"}, {"mode": "slow", "delay_ms": -1}, {"mode": "slow", "delay_ms": "5"}):
        assert requests.post(f"{repositories}/control", json=bad, timeout=5).status_code == 400
    assert requests.get(f"{repositories}/control", timeout=5).json() == {"mode": "ok", "delay_ms": 0}


def test_seed_from_the_environment_and_bad_seeds_refused(standin, tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"datasets": [{"repository": "GVM", "accession": "GVM123456",
                                              "submitter": "someone@lab.example.cn", "title": None,
                                              "released": None}]}), encoding="utf-8")
    address, _ = standin(["hgrip_standins.repositories"], "HGRIP_REPOSITORIES_ADDRESS",
                         extra_env={"HGRIP_REPOSITORIES_SEED": str(seed)})
    base = f"http://{address}/repositories"
    assert requests.get(f"{base}/GVM/datasets/GVM123456", timeout=5).json()["submitter"] == "someone@lab.example.cn"
    assert requests.get(f"{base}/OMIX/datasets/OMIX001226", timeout=5).status_code == 404
    assert requests.get(f"{base}/healthz", timeout=5).json()["datasets"]["GVM"] == 1

    for bad in ({"repository": "GVM", "accession": "GVM12345", "submitter": "a@b.cn"},        # format
                {"repository": "SRA", "accession": "SRR000001", "submitter": "a@b.cn"},       # repository
                {"repository": "GVM", "accession": "GVM123456", "submitter": "nobody"}):     # e-mail
        seed.write_text(json.dumps({"datasets": [bad]}), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "hgrip_standins.repositories"], capture_output=True,
                              timeout=30, env={"HGRIP_REPOSITORIES_SEED": str(seed),
                                               "HGRIP_REPOSITORIES_ADDRESS": "127.0.0.1:0",
                                               "PATH": "/usr/bin:/bin"})
        assert done.returncode != 0 and b"SeedError" in done.stderr, bad
    twice = {"repository": "GVM", "accession": "GVM123456", "submitter": "a@b.cn"}
    seed.write_text(json.dumps({"datasets": [twice, twice]}), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "hgrip_standins.repositories"], capture_output=True, timeout=30,
                          env={"HGRIP_REPOSITORIES_SEED": str(seed), "HGRIP_REPOSITORIES_ADDRESS": "127.0.0.1:0"})
    assert done.returncode != 0 and b"appears twice" in done.stderr


def test_stops_on_sigterm(standin):
    _, process = standin(["hgrip_standins.repositories"], "HGRIP_REPOSITORIES_ADDRESS")
    process.terminate()
    assert process.wait(timeout=10) == 0
