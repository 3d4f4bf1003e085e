"""End to end: a submitted backup reaches HGRG, HGRG files a prior report citing it, and the filing
number comes back (signed callback → gateway → backups) onto the backup's detail."""
import time

import requests

from hgrip_kernel.testing.fixtures import wait_until

PROJECT = {"pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}
HRA = {"detailed_type": "raw_sequencing", "cases": 3, "mb_per_case": 100,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}


def hgrg_has(platform, number) -> bool:
    listed = requests.get(f"{platform.hgrg_url}/api/v1/backups", timeout=10).json()
    return number in [item["backup_number"] for item in listed["items"]]


def test_a_filing_number_from_hgrg_shows_on_the_backup(platform, client_for):
    zhang = client_for("zhangxiaohan")
    project = zhang.post("/api/v1/projects", json={**PROJECT, "name": f"filings-{time.time_ns()}"}).json()
    backup = zhang.post(f"/api/v1/projects/{project['id']}/backups",
                        json={"name": "对外提供", "categories": ["wgs"]}).json()
    assert zhang.post(f"/api/v1/backups/{backup['id']}/files", json=HRA).status_code == 201
    number = zhang.post(f"/api/v1/backups/{backup['id']}/submit").json()["backup_number"]
    assert wait_until(lambda: hgrg_has(platform, number), timeout=30, message="HGRG received the number")

    filed = requests.post(f"{platform.hgrg_url}/control/filings", timeout=60, json={
        "backup_numbers": [number], "declared_mb": 250, "recipient": "Pacific Genomics Ltd (US)"})
    assert filed.status_code == 201, filed.text
    filing = filed.json()
    assert filing["callback"]["delivered"] is True, filing
    assert filing["callback"]["answer"] == {"filing_number": filing["filing_number"], "linked": [number],
                                            "unknown": []}

    detail = zhang.get(f"/api/v1/backups/{backup['id']}").json()
    assert detail["filing_numbers"] == [filing["filing_number"]]
    assert detail["filings"] == [{
        "filing_number": filing["filing_number"], "recipient": "Pacific Genomics Ltd (US)",
        "declared_mb": 250, "cited_total_mb": 300, "exceeds_declared": True,
        "filed_at": detail["filings"][0]["filed_at"]}]
    listed = zhang.get(f"/api/v1/projects/{project['id']}/backups").json()["items"]
    assert listed[0]["filing_numbers"] == [filing["filing_number"]]
    timeline = zhang.get(f"/api/v1/backups/{backup['id']}/history").json()
    entries = timeline["items"] if isinstance(timeline, dict) else timeline
    assert entries[-1]["event_type"] == "FilingLinked"

    # A second recipient, a second filing on the same backup, within the declared volume.
    second = requests.post(f"{platform.hgrg_url}/control/filings", timeout=60, json={
        "backup_numbers": [number], "declared_mb": 1000, "recipient": "Recipient B"}).json()
    detail = zhang.get(f"/api/v1/backups/{backup['id']}").json()
    assert detail["filing_numbers"] == [filing["filing_number"], second["filing_number"]]
    assert [f["exceeds_declared"] for f in detail["filings"]] == [True, False]
