"""End to end: mail that tells people what happened to their backups, through the SMTP sink, in
Chinese and English, with the link to the backup's page — once per fact — at the e-mail address HGRG
provisioned for the account (``deploy/demo-accounts.json``'s ``email``, or a later PUT's).

Own platform: HGRIP_SYNC_OVERDUE_SECONDS is small here.
"""
import json
import os
import time
from pathlib import Path

import pytest
import requests

from hgrip_kernel.signing import signed_headers
from hgrip_kernel.testing.fixtures import wait_until
from hgrip_standins.hgrg.codes import institution_code, unit_code

DEMO_ACCOUNTS = json.loads((Path(__file__).resolve().parents[1] / "deploy/demo-accounts.json").read_text())
ADDRESSES = {account["username"]: account["email"] for account in DEMO_ACCOUNTS}
NGDC = "国家基因组科学数据中心测试"
OVERDUE_SECONDS = 2
PROJECT = {"pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}
HRA = {"detailed_type": "raw_sequencing", "cases": 3, "mb_per_case": 100,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
ENV = {"HGRIP_SYNC_OVERDUE_SECONDS": str(OVERDUE_SECONDS)}


@pytest.fixture(scope="module")
def platform(launch_platform, tmp_path_factory):
    saved = {key: os.environ.get(key) for key in ENV}
    os.environ.update(ENV)   # the platform's processes inherit the test's environment
    try:
        running = launch_platform(tmp_path_factory.mktemp("notices"))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield running
    running.stop_all()


def address(username):
    """The address HGRG provisioned (the demo file's)."""
    return ADDRESSES[username]


def hgrg_put_account(platform, username, email):
    """HGRG provisions (or re-provisions) a researcher of NGDC's 数据资源部 with this e-mail."""
    path = f"/api/v1/hgrg/accounts/{username}"
    body = json.dumps({"password": "Demo-2026!", "name": "邮件测试", "role": "natural_person",
                       "institution": institution_code(NGDC), "unit": unit_code(NGDC, "数据资源部"),
                       "real_name_verified": True, "authorised": True, "employed": True,
                       "email": email}).encode()
    signature = signed_headers(platform.env["HGRIP_HGRG_SHARED_SECRET"], "PUT", path, body)
    answer = requests.put(platform.gateway_url.rstrip("/") + path, data=body, timeout=20,
                          headers={"Content-Type": "application/json", **signature})
    assert answer.status_code == 200, answer.text
    return answer.json()


def link(platform, backup_id):
    return f"{platform.gateway_url.rstrip('/')}/backups/{backup_id}"


def hgrg_mode(platform, mode):
    answer = requests.post(f"{platform.hgrg_url}/control/fail", json={"mode": mode}, timeout=10)
    assert answer.status_code == 200, answer.text


def hgrg_has(platform, number) -> bool:
    listed = requests.get(f"{platform.hgrg_url}/api/v1/backups", timeout=10).json()
    return number in [item["backup_number"] for item in listed["items"]]


def new_backup(client, label):
    project = client.post("/api/v1/projects", json={**PROJECT, "name": f"{label}-{time.time_ns()}"}).json()
    backup = client.post(f"/api/v1/projects/{project['id']}/backups",
                         json={"name": f"{label}备份", "categories": ["wgs"]}).json()
    assert client.post(f"/api/v1/backups/{backup['id']}/files", json=HRA).status_code == 201
    return backup


def bilingual(mailbox, message, *must):
    text = mailbox.body(message)
    chinese, english = text.split("-" * 60)
    assert "您好" in chinese and "Hello" in english and "【人类遗传资源信息管理备份平台】" in message["Subject"]
    for expected in must:
        assert expected in chinese and expected in english, (expected, text)
    return text


def mails_about(mailbox, username, backup_id, subject_part):
    return [m for m in mailbox.to(address(username)) if backup_id in mailbox.body(m) and subject_part in m["Subject"]]


def test_a_linked_filing_tells_the_owner_once(platform, client_for, mailbox):
    zhang = client_for("zhangxiaohan")
    backup = new_backup(zhang, "备案通知")
    number = zhang.post(f"/api/v1/backups/{backup['id']}/submit").json()["backup_number"]
    wait_until(lambda: hgrg_has(platform, number), timeout=30, message="HGRG received the number")
    filed = requests.post(f"{platform.hgrg_url}/control/filings", timeout=60, json={
        "backup_numbers": [number], "declared_mb": 250, "recipient": "Pacific Genomics Ltd (US)"})
    assert filed.status_code == 201, filed.text
    filing_number = filed.json()["filing_number"]
    found = wait_until(lambda: mails_about(mailbox, "zhangxiaohan", backup["id"], filing_number), timeout=30,
                       message="the owner's filing mail")
    [mail] = found
    bilingual(mailbox, mail, number, filing_number, link(platform, backup["id"]))
    time.sleep(2)
    assert len(mails_about(mailbox, "zhangxiaohan", backup["id"], filing_number)) == 1


def test_a_number_failing_past_the_threshold_tells_the_owner_once(platform, client_for, mailbox):
    zhang = client_for("zhangxiaohan")
    backup = new_backup(zhang, "报送延迟")
    hgrg_mode(platform, "down")
    try:
        number = zhang.post(f"/api/v1/backups/{backup['id']}/submit").json()["backup_number"]
        found = wait_until(lambda: mails_about(mailbox, "zhangxiaohan", backup["id"], "报送延迟"), timeout=60,
                           message="the overdue mail")
        [mail] = found
        text = bilingual(mailbox, mail, number, link(platform, backup["id"]))
        assert "尚未成功报送" in text and "has not reached" in text
        time.sleep(OVERDUE_SECONDS + 2)              # still down, more attempts: no second mail
        assert len(mails_about(mailbox, "zhangxiaohan", backup["id"], "报送延迟")) == 1
    finally:
        hgrg_mode(platform, "ok")
    wait_until(lambda: hgrg_has(platform, number), timeout=90, message="the number reaches HGRG when it is back")
    assert len(mails_about(mailbox, "zhangxiaohan", backup["id"], "报送延迟")) == 1


def test_a_delegation_tells_the_new_delegate_once_per_backup(platform, client_for, mailbox):
    liu = client_for("liuhaoran")
    backup = new_backup(liu, "委托通知")
    number = liu.post(f"/api/v1/backups/{backup['id']}/submit").json()["backup_number"]
    moved = client_for("ngdc-data-admin").post("/api/v1/institution/delegations",
                                               json={"from_account": "liuhaoran", "to_account": "zhaominghui"})
    assert moved.status_code == 200, moved.text
    moved_ids = [b["id"] for b in moved.json()["backups"]]
    assert backup["id"] in moved_ids

    def delegated_mails():
        return [m for m in mailbox.to(address("zhaominghui")) if "备份已委托给您" in m["Subject"]]
    wait_until(lambda: len(delegated_mails()) >= len(moved_ids), timeout=30, message="the delegate's mails")
    [mail] = mails_about(mailbox, "zhaominghui", backup["id"], "备份已委托给您")
    text = bilingual(mailbox, mail, number, link(platform, backup["id"]))
    assert "委托调整" in text and "delegate" in text
    time.sleep(2)
    mails = delegated_mails()
    assert len(mails) == len(moved_ids)             # one per backup moved, none twice
    assert sorted(i for m in mails for i in moved_ids if i in mailbox.body(m)) == sorted(moved_ids)
    assert mailbox.to(address("liuhaoran")) == []   # the previous delegate is not mailed
    assert address("zhaominghui") == "zhaominghui@ngdc-demo.example.cn"   # where HGRG's PUT put it


def test_a_delegates_notice_goes_to_the_address_hgrg_provisioned_last(platform, client_for, mailbox):
    suffix = time.time_ns() % 10**9
    owner, delegate = f"mail-owner-{suffix}", f"mail-delegate-{suffix}"
    hgrg_put_account(platform, owner, None)
    first = hgrg_put_account(platform, delegate, f"{delegate}-old@ngdc-demo.example.cn")
    again = hgrg_put_account(platform, delegate, f"{delegate}@ngdc-demo.example.cn")   # HGRG changes it
    assert first["changed"] is True and again["changed"] is True
    assert again["account"]["email"] == "m***@ngdc-demo.example.cn"   # answered masked
    me = client_for(delegate).get("/api/v1/me").json()
    assert me["email"] == "m***@ngdc-demo.example.cn"
    client = client_for(owner)
    backup = new_backup(client, "邮箱通知")
    number = client.post(f"/api/v1/backups/{backup['id']}/submit").json()["backup_number"]
    admin = client_for("ngdc-data-admin")

    def delegate_all():   # the members read model learns of new accounts from identity's events
        answer = admin.post("/api/v1/institution/delegations", json={"from_account": owner, "to_account": delegate})
        return [answer] if answer.status_code != 404 else None   # (a Response of a 4xx is falsy)
    [moved] = wait_until(delegate_all, timeout=30, interval=0.5, message="both accounts known to backups")
    assert moved.status_code == 200, moved.text
    found = wait_until(lambda: [m for m in mailbox.to(f"{delegate}@ngdc-demo.example.cn")
                                if backup["id"] in mailbox.body(m)], timeout=30, message="the delegate's mail")
    [mail] = found
    assert mail["To"] == f"{delegate}@ngdc-demo.example.cn"
    bilingual(mailbox, mail, number, link(platform, backup["id"]))
    assert mailbox.to(f"{delegate}-old@ngdc-demo.example.cn") == []   # the address it no longer has
