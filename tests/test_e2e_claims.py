"""Legacy backups over HTTP (manual "备份认领"): the demo export imported by the operator command,
auto-attached at a first login, claimed by a natural person with an SMS code, claimed by a legal
person for a delegate — each backup once, never across institutions — and HGRG told the owner."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DEMO_LEGACY = ROOT / "deploy" / "demo-legacy.json"
HGRIP = Path(sys.executable).with_name("hgrip")


def import_legacy(platform):
    env = {**os.environ, **platform.env}
    return subprocess.run([str(HGRIP), "legacy", "import", str(DEMO_LEGACY), "--no-progress"],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def imported(platform):
    """The demo export, imported before anyone has logged in (twice: the second changes nothing)."""
    first = import_legacy(platform)
    assert first.returncode == 0, first.stderr + first.stdout
    again = import_legacy(platform)
    assert again.returncode == 0 and "imported 0" in again.stdout + again.stderr, again.stdout + again.stderr
    return first


def legacy_rows(client, **query):
    answer = client.get("/api/v1/institution/backups", params={"status": "completed", "page_size": 100, **query})
    assert answer.status_code == 200, answer.text
    return {item["backup_number"]: item for item in answer.json()["items"] if item["origin"] == "legacy"}


def hgrg_owner(platform, number):
    answer = requests.get(f"{platform.hgrg_url}/api/v1/backups/{number}/owner", timeout=10)
    return answer.json()["owner_username"] if answer.status_code == 200 else None


def test_a_first_login_attaches_the_registrants_legacy_backups(platform, imported, client_for):
    legal = client_for("ngdc-legal")
    assert "BF2021031500012" not in legacy_rows(legal)      # unclaimed: nobody's yet
    zhang = client_for("zhangxiaohan")                        # first login: name, mobile, institution match
    rows = wait_until(lambda: {n: r for n, r in legacy_rows(legal).items()
                               if r["delegate"] and r["delegate"]["username"] == "zhangxiaohan"} or None,
                      timeout=30, message="auto-attach")
    assert set(rows) == {"BF2021031500012", "BF2022110800047"}
    detail = zhang.get(f"/api/v1/backups/{rows['BF2021031500012']['id']}")
    assert detail.status_code == 200 and detail.json()["backup_number"] == "BF2021031500012"
    history = zhang.get(f"/api/v1/backups/{rows['BF2021031500012']['id']}/history").json()["items"]
    assert history[-1]["event_type"] == "BackupClaimed"
    assert wait_until(lambda: hgrg_owner(platform, "BF2021031500012") == "zhangxiaohan", timeout=30,
                      message="HGRG told the owner")
    # 王雨晴's export typed the institution with a space: the tolerant comparison still matches.
    client_for("wangyuqing")
    wait_until(lambda: "BF2022052000019" in legacy_rows(legal, delegate="wangyuqing"), timeout=30,
               message="tolerant auto-attach")


def test_a_natural_person_claims_with_the_sms_code_once(platform, imported, client_for, sms_code_for):
    liu = client_for("liuhaoran")         # the export has another mobile for 刘浩然: nothing attached
    body = {"legacy_name": "刘浩然", "legacy_mobile": "18600001111"}
    sent = liu.post("/api/v1/claims/sms-code", json=body)
    assert sent.status_code == 202, sent.text
    assert sent.json()["sent_to"] != "18600001111"           # masked
    code = wait_until(lambda: sms_code_for("18600001111"), message="the SMS code")
    too_soon = liu.post("/api/v1/claims/sms-code", json=body)
    assert too_soon.status_code == 429 and int(too_soon.headers["Retry-After"]) > 0
    wrong = liu.post("/api/v1/claims", json={**body, "sms_code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "sms_code_invalid"
    claimed = liu.post("/api/v1/claims", json={**body, "sms_code": code})
    assert claimed.status_code == 200, claimed.text
    assert [b["backup_number"] for b in claimed.json()["claimed"]] == ["BF2020120100005"]
    again = liu.post("/api/v1/claims/sms-code", json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "legacy_already_claimed"
    assert "不可再次认领" in again.json()["error"]["message_zh"] or again.json()["error"]["message_zh"]


def test_a_claim_across_institutions_is_refused_and_says_why(imported, client_for, sms_code_for):
    zhao = client_for("zhaominghui")      # NGDC; the old registrant 赵明辉 was at 华东医学遗传研究院测试
    refused = zhao.post("/api/v1/claims/sms-code", json={"legacy_name": "赵明辉", "legacy_mobile": "17755556666"})
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "claim_other_institution"
    assert "不支持跨单位" in error["message_zh"] and "institution" in error["message"].lower()
    assert sms_code_for("17755556666") is None               # nothing was sent


def test_a_legal_person_claims_for_a_delegate_and_a_unit_admin_only_within_the_unit(
        platform, imported, client_for):
    body = {"legacy_name": "黄志强", "legacy_mobile": "13700137000"}
    outsider = client_for("ngdc-data-admin").post("/api/v1/institution/claims",
                                                  json={**body, "delegate_account": "wangyuqing"})
    assert outsider.status_code == 404 and outsider.json()["error"]["code"] == "member_not_found"
    person = client_for("liuhaoran").post("/api/v1/institution/claims", json={**body, "delegate_account": "liuhaoran"})
    assert person.status_code == 403
    legal = client_for("ngdc-legal")
    claimed = legal.post("/api/v1/institution/claims", json={**body, "delegate_account": "wangyuqing"})
    assert claimed.status_code == 200, claimed.text
    assert sorted(b["backup_number"] for b in claimed.json()["claimed"]) == ["BF2020082400002", "BF2021011200008"]
    twice = legal.post("/api/v1/institution/claims", json={**body, "delegate_account": "liuhaoran"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "legacy_already_claimed"
    assert wait_until(lambda: hgrg_owner(platform, "BF2020082400002") == "wangyuqing", timeout=30,
                      message="HGRG told the owner")
    rows = legacy_rows(legal, delegate="wangyuqing")
    assert {"BF2020082400002", "BF2021011200008"} <= set(rows)
