"""Personal data over a run that moves every kind of it (docs/security.md): HGRG provisions the demo
accounts (mobiles, e-mails), the old platform's export is imported (its mobiles), a first login
attaches legacy backups by the mobile's keyed hash, a claimant gets an SMS code, a researcher an
e-mail code, and the sinks' pages are read by address. Then:
- no log line of any process (the five services, the gateway and the four stand-ins) holds a mobile,
  an e-mail address or a code that was sent;
- no service database holds a mobile number in clear (identity keeps them sealed, events and the
  other services only their keyed hash)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from hgrip_kernel.testing.fixtures import wait_until
from hgrip_kernel.testing.platform import PLATFORM_SERVICES

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DEMO_ACCOUNTS = json.loads((ROOT / "deploy" / "demo-accounts.json").read_text())
DEMO_LEGACY = ROOT / "deploy" / "demo-legacy.json"
HGRIP = Path(sys.executable).with_name("hgrip")
PROCESSES = (*PLATFORM_SERVICES, "gateway", "hgrg", "repositories", "smtp-sink", "sms-sink")
OMIX = {"detailed_type": "analysis_statistics", "cases": 10, "mb_per_case": 5,
        "submission_account": "zhangxx@big.ac.cn", "accession": "OMIX001226"}
PROJECT = {"name": "个人数据日志检查", "pi_name": "刘晓寒", "pi_email": "data-admin@big.ac.cn", "consent": True}


def legacy_mobiles() -> set[str]:
    registrants = json.loads(DEMO_LEGACY.read_text())["registrants"]
    return {re.sub(r"\D", "", person["mobile"])[-11:] for person in registrants if person.get("mobile")}


def attached_to(client, username) -> set[str]:
    answer = client.get("/api/v1/institution/backups", params={"status": "completed", "page_size": 100})
    assert answer.status_code == 200, answer.text
    return {item["backup_number"] for item in answer.json()["items"]
            if item["origin"] == "legacy" and (item["delegate"] or {}).get("username") == username}


def send_codes(platform, client_for, mailbox, sms_code_for) -> list[str]:
    """Everything that moves personal data, once; the codes that were sent."""
    imported = subprocess.run([str(HGRIP), "legacy", "import", str(DEMO_LEGACY), "--no-progress"],
                              env={**os.environ, **platform.env}, capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    # The first login attaches by name, institution and the mobile's keyed hash: identity's event
    # carried only the hash, the import kept only the hash, and they meet.
    zhang = client_for("zhangxiaohan")
    legal = client_for("ngdc-legal")
    wait_until(lambda: {"BF2021031500012", "BF2022110800047"} <= attached_to(legal, "zhangxiaohan") or None,
               timeout=30, message="legacy backups attached by the mobile's hash")
    # An SMS code to the old mobile a claimant types.
    claim = {"legacy_name": "刘浩然", "legacy_mobile": "18600001111"}
    sent = client_for("liuhaoran").post("/api/v1/claims/sms-code", json=claim)
    assert sent.status_code == 202, sent.text
    sms_code = wait_until(lambda: sms_code_for(claim["legacy_mobile"]), message="the SMS code")
    # An e-mail code to a dataset's submission account.
    project = zhang.post("/api/v1/projects", json=PROJECT).json()
    backup = zhang.post(f"/api/v1/projects/{project['id']}/backups",
                        json={"name": "个人数据日志检查备份", "categories": ["targeted"]}).json()
    added = zhang.post(f"/api/v1/backups/{backup['id']}/files", json=OMIX)
    assert added.status_code == 201, added.text
    asked = zhang.post(f"/api/v1/backups/{backup['id']}/files/{added.json()['id']}/verification-code")
    assert asked.status_code == 202, asked.text
    mail_code = wait_until(lambda: mailbox.latest_code(OMIX["submission_account"]), message="the mail code")
    # The sinks' pages read by address, as a person does (request lines with the address in the query).
    for url, query in ((platform.mail_url, {"to": OMIX["submission_account"]}),
                       (platform.sms_url, {"mobile": claim["legacy_mobile"]})):
        assert requests.get(url, params=query, timeout=10).status_code == 200
    return [sms_code, mail_code]


def test_no_log_line_and_no_database_holds_personal_data_in_clear(platform, client_for, mailbox, sms_code_for):
    codes = send_codes(platform, client_for, mailbox, sms_code_for)
    mobiles = {account["mobile"] for account in DEMO_ACCOUNTS if account.get("mobile")} | legacy_mobiles()
    mobiles |= {"18600001111"}
    addresses = {account["email"] for account in DEMO_ACCOUNTS if account.get("email")} | {OMIX["submission_account"]}
    assert len(mobiles) > 10 and len(addresses) > 10

    logs = {path.stem: path.read_text(errors="replace") for path in platform.log_dir.glob("*.log")}
    assert set(PROCESSES) <= {name for name, text in logs.items() if text.strip()}, sorted(logs)
    found = []
    for name, text in logs.items():
        for mobile in mobiles:
            if mobile in text:
                found.append((name, "mobile", mobile))
        for address in addresses:
            local, domain = address.split("@")
            if address in text or f"{local}%40{domain}" in text:
                found.append((name, "e-mail", address))
        for code in codes:   # whole numbers only (a timestamp's microseconds follow a dot)
            if re.search(rf"(?<![\d.]){code}(?!\d)", text):
                found.append((name, "code", code))
    assert found == [], found
    # Masked forms are there: the lines still say who and where, without the number or the address.
    assert "186****1111" in logs["sms-sink"] and "z***@big.ac.cn" in logs["smtp-sink"]

    for service in PLATFORM_SERVICES:
        tables = [row[0] for row in platform.query(
            service, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
        stored = "\n".join(str(row[0]) for table in tables
                           for row in platform.query(service, f'SELECT t::text FROM "{table}" t'))
        assert [m for m in mobiles if m in stored] == [], service
    sealed = platform.query("identity", "SELECT count(*), count(DISTINCT key_id) FROM account_mobiles")[0]
    assert sealed[0] == len([a for a in DEMO_ACCOUNTS if a.get("mobile")]) and sealed[1] == 1
