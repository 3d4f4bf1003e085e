"""Peers that answer slowly or wrongly (issue 11): HGRG slow, failing with 500s or answering garbage;
the repositories, the SMTP sink and the SMS sink down. Every number still reaches HGRG exactly once;
a request that needs a peer that is down is refused with a clear bilingual 503 and Retry-After,
nothing is half-done, and once the peer is back the same request works.

The platform is tests/conftest.py's (the shared servers: only the peers misbehave here); the load and
the count after it are harness.py's. Figures: docs/reliability.md (Peers)."""
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from harness import HRA, PROJECT, Load, count, hgrg_mode, received

from hgrip_kernel.testing.fixtures import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
OMIX = {"detailed_type": "analysis_statistics", "cases": 1, "mb_per_case": 1,
        "submission_account": "zhangxx@big.ac.cn", "accession": "OMIX001226"}     # someone else's: a code
NUMBERS_DURING_FAULT = 6   # submissions accepted while HGRG misbehaves, per case (the load goes on)
HGRG_TIMEOUT = 5           # registry-sync's default HGRG_TIMEOUT (s): `slow` answers later than this
STANDINS = {"repositories": "hgrip_standins.repositories", "smtp-sink": "hgrip_standins.smtp_sink",
            "sms-sink": "hgrip_standins.sms_sink"}


# --- helpers --------------------------------------------------------------------------------------
def draft(client, label: str) -> str:
    project = client.post("/api/v1/projects", json={**PROJECT, "name": f"{label}-{time.time_ns()}"})
    assert project.status_code == 201, project.text
    backup = client.post(f"/api/v1/projects/{project.json()['id']}/backups",
                         json={"name": label, "categories": ["wgs"]})
    assert backup.status_code == 201, backup.text
    return backup.json()["id"]


def stream_events(platform, service: str, stream_id: str) -> int:
    return platform.query(service, "SELECT count(*) FROM events WHERE stream_id = :s", s=stream_id)[0][0]


def refusal(answer, status: int, code: str) -> dict:
    """A clear refusal: the status, the JSON error body in both languages, and Retry-After on a 503."""
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == code and error["message"].isascii() and not error["message_zh"].isascii(), error
    if status == 503:
        assert int(answer.headers["Retry-After"]) > 0
    return error


def start_standin(platform, name: str, address_variable: str) -> None:
    platform.start_standin(name, STANDINS[name])
    host, port = platform.env[address_variable].rsplit(":", 1)

    def listening():
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return True
        except OSError:
            return False
    wait_until(listening, timeout=20, message=f"{name} listening again")


def registry_sync_log(platform) -> str:
    return (platform.log_dir / "registry-sync.log").read_text(errors="replace")


def pushed(operator, number: str) -> dict | None:
    """registry-sync's record of one number's push, as the operator's console shows it."""
    answer = operator.get(f"/api/v1/operator/backups/{number}")
    return answer.json()["hgrg"]["number"] if answer.status_code == 200 else None


def sync_summary(operator) -> dict:
    answer = operator.get("/api/v1/operator/sync")
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- 1. HGRG slow, failing, answering garbage -----------------------------------------------------
# fault: (control spec, whether HGRG keeps the receipt meanwhile, what registry-sync logs of an attempt)
HGRG_FAULTS = {
    "slow": ({"mode": "slow", "delay_ms": (HGRG_TIMEOUT + 2) * 1000}, True, f"no answer within {HGRG_TIMEOUT} s"),
    "500_before_receipt": ({"mode": "down", "status": 500}, False, "HTTP 500"),
    "500_after_receipt": ({"mode": "error500"}, True, "HTTP 500 internal_error"),
    "not_json": ({"mode": "malformed", "body": "not_json"}, True, "(body is not JSON)"),
    "wrong_shape": ({"mode": "malformed", "body": "wrong_shape"}, True, "(body is not a JSON object)"),
    "other_number": ({"mode": "malformed", "body": "other_number"}, True, "backup_number 'BF0000000000000')"),
}


@pytest.mark.parametrize("fault", list(HGRG_FAULTS))
def test_hgrg_slow_failing_or_malformed_under_load_gets_every_number_there_once(platform, client_for, fault):
    spec, keeps, logged = HGRG_FAULTS[fault]
    operator = client_for("operator")
    log_from = len(registry_sync_log(platform))
    with Load(platform) as load:
        load.wait_accepted(4)
        before = set(load.accepted)
        load.mark("fault")
        hgrg_mode(platform, **spec)
        try:
            load.wait_accepted(NUMBERS_DURING_FAULT, timeout=40)   # submitting goes on whatever HGRG does
            first = next(n for b, n in load.accepted.items() if b not in before)

            def failing_as_it_should():
                push = pushed(operator, first)
                return push if push and push["state"] == "failing" and (first in received(platform)) == keeps \
                    else None
            # HGRG kept it (or not), and the operator sees it failing: a late or garbled answer is never
            # taken for a receipt, and nothing is given up.
            push = wait_until(failing_as_it_should, timeout=40, interval=0.3, message=f"{first} failing")
            assert push["attempts"] >= 1 and logged in push["last_error"], push
            summary = sync_summary(operator)
            assert summary["failing"] >= 1 and summary["oldest_pending_at"], summary
        finally:
            hgrg_mode(platform, "ok")
        back = load.mark("back")
        load.wait_accepted(4, timeout=60)
    # Once HGRG is back, every number is synced: nothing pending or failing is left for the operator.
    wait_until(lambda: (lambda s: s["pending"] == s["failing"] == 0)(sync_summary(operator)), timeout=60,
               interval=0.5, message="nothing left to push")
    all_synced = time.monotonic() - back
    figures = count(platform, load, recover_since=back)
    print(f"\nFAULT HGRG {fault}: {figures.row()} | all synced {all_synced:.1f} s after | "
          f"statuses {figures.statuses}")
    assert figures.problems == []
    assert (figures.lost, figures.duplicated) == (0, 0)
    # registry-sync never crashed, logged each failed attempt clearly, and dead-lettered nothing.
    assert platform.processes["registry-sync"].poll() is None
    log = registry_sync_log(platform)[log_from:]
    assert "hgrg_push_failed" in log and logged in log, log[-2000:]
    assert "Traceback" not in log


# --- 2. the repositories down ---------------------------------------------------------------------
@pytest.mark.parametrize("how", ["stopped", "answering_503", "too_slow"])
def test_repositories_down_refuses_adding_a_file_with_a_503_and_writes_nothing(platform, client_for, how):
    zhang = client_for("zhangxiaohan")
    backup_id = draft(zhang, f"repositories-{how}")
    events_before = stream_events(platform, "backups", f"backup-{backup_id}")
    control = f"http://{platform.env['HGRIP_REPOSITORIES_ADDRESS']}/repositories/control"
    if how == "stopped":
        platform.stop("repositories")
    else:
        mode = {"mode": "down"} if how == "answering_503" else {"mode": "slow", "delay_ms": 7000}
        assert requests.post(control, json=mode, timeout=10).status_code == 200
    try:
        started = time.monotonic()
        refused = zhang.post(f"/api/v1/backups/{backup_id}/files", json=HRA, timeout=30)
        took = time.monotonic() - started
        error = refusal(refused, 503, "repository_unavailable")
        assert error["details"]["repository"] == "GSA-Human" and "GSA-Human" in error["message_zh"]
        assert took < 10, took   # bounded by verification's REPOSITORIES_TIMEOUT (5 s), not the gateway's
        # Nothing written: no file, no event.
        assert zhang.get(f"/api/v1/backups/{backup_id}").json()["files"] == []
        assert stream_events(platform, "backups", f"backup-{backup_id}") == events_before
    finally:
        if how == "stopped":
            start_standin(platform, "repositories", "HGRIP_REPOSITORIES_ADDRESS")
        else:
            requests.post(control, json={"mode": "ok"}, timeout=10)
    recovered_at = time.monotonic()
    added = zhang.post(f"/api/v1/backups/{backup_id}/files", json=HRA)
    assert added.status_code == 201, added.text
    assert [f["accession"] for f in zhang.get(f"/api/v1/backups/{backup_id}").json()["files"]] == ["HRA000567"]
    print(f"\n[peer fault] repositories {how}: refused in {took:.1f} s with 503, nothing written; "
          f"adding worked {time.monotonic() - recovered_at:.1f} s after it was back")


# --- 3. the SMTP sink and the SMS sink down -------------------------------------------------------
@pytest.mark.parametrize("how", ["stopped", "refusing", "too_slow"])
def test_smtp_down_when_a_code_is_sent_tells_the_user_and_a_later_send_works(platform, client_for, mailbox, how):
    zhang = client_for("zhangxiaohan")
    backup_id = draft(zhang, f"smtp-{how}")
    pending = zhang.post(f"/api/v1/backups/{backup_id}/files", json=OMIX)
    assert pending.status_code == 201 and pending.json()["progress"] == "pending_verification", pending.text
    file_id = pending.json()["id"]
    send = f"/api/v1/backups/{backup_id}/files/{file_id}/verification-code"
    mails_before = len(mailbox.to(OMIX["submission_account"]))
    control = f"http://{platform.env['HGRIP_MAIL_WEB_ADDRESS']}/mail/control"
    if how == "stopped":
        platform.stop("smtp-sink")
    else:   # a relay refusing for now (451), or one that hangs past verification's SMTP_TIMEOUT (5 s)
        mode = {"mode": "refuse"} if how == "refusing" else {"mode": "slow", "delay_ms": 8000}
        assert requests.post(control, json=mode, timeout=10).status_code == 200
    try:
        started = time.monotonic()
        refusal(zhang.post(send), 503, "mail_unavailable")   # not a 500, not a false "sent"
        took = time.monotonic() - started
        assert took < 10, took   # verification says so before the gateway's own time-out
        # Nothing half-done: no code kept that was never delivered, no event, nothing mailed.
        assert platform.query("verification", "SELECT count(*) FROM verification_codes WHERE file_id = :f",
                              f=file_id)[0][0] == 0
        assert stream_events(platform, "verification", f"verification-{file_id}") == 0
        if how != "too_slow":   # still down: told again, not "too soon"
            refusal(zhang.post(send), 503, "mail_unavailable")
    finally:
        if how == "stopped":
            start_standin(platform, "smtp-sink", "HGRIP_SMTP_ADDRESS")
        else:
            requests.post(control, json={"mode": "ok"}, timeout=10)
    assert len(mailbox.to(OMIX["submission_account"])) == mails_before

    sent = zhang.post(send)   # no resend cooldown from the failed tries
    assert sent.status_code == 202, sent.text
    wait_until(lambda: len(mailbox.to(OMIX["submission_account"])) == mails_before + 1, message="the code mailed")
    code = mailbox.latest_code(OMIX["submission_account"])
    verified = zhang.post(f"/api/v1/backups/{backup_id}/files/{file_id}/verify", json={"code": code})
    assert verified.status_code == 200 and verified.json()["progress"] == "complete", verified.text
    print(f"\n[peer fault] SMTP {how}: 503 mail_unavailable in {took:.1f} s, nothing kept; a later send worked")


def import_legacy(platform):
    done = subprocess.run([str(Path(sys.executable).with_name("hgrip")), "legacy", "import",
                           str(ROOT / "deploy" / "demo-legacy.json"), "--no-progress"],
                          env=platform.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout


def test_sms_down_when_a_claim_code_is_sent_tells_the_user_and_a_later_send_works(
        platform, client_for, sms_code_for):
    import_legacy(platform)
    liu = client_for("liuhaoran")   # the demo export has another mobile for 刘浩然: a claim by SMS
    body = {"legacy_name": "刘浩然", "legacy_mobile": "18600001111"}
    control = f"http://{platform.env['HGRIP_SMS_ADDRESS']}/sms/control"

    # Stopped, refusing (503), hanging past verification's SMS_TIMEOUT (5 s): each time the user is
    # told, nothing is kept, and the next try is not held back by the 60 s cooldown.
    for how, mode in (("stopped", None), ("refusing", {"mode": "down"}),
                      ("too_slow", {"mode": "slow", "delay_ms": 8000})):
        if mode is None:
            platform.stop("sms-sink")
        else:
            assert requests.post(control, json=mode, timeout=10).status_code == 200
        try:
            started = time.monotonic()
            refusal(liu.post("/api/v1/claims/sms-code", json=body), 503, "sms_unavailable")
            took = time.monotonic() - started
            assert took < 10, (how, took)
            assert platform.query("verification", "SELECT count(*) FROM sms_codes")[0][0] == 0, how
        finally:
            if mode is None:
                start_standin(platform, "sms-sink", "HGRIP_SMS_ADDRESS")
            else:
                requests.post(control, json={"mode": "ok"}, timeout=10)
        print(f"\n[peer fault] SMS {how}: 503 sms_unavailable in {took:.1f} s, nothing kept")
    # The gateway that hung delivers its message late (as a real one may): that code was never kept,
    # so it claims nothing and says so.
    late = wait_until(lambda: sms_code_for("18600001111"), timeout=15, message="the late SMS")
    refusal(liu.post("/api/v1/claims", json={**body, "sms_code": late}), 404, "sms_code_not_requested")

    sent = liu.post("/api/v1/claims/sms-code", json=body)
    assert sent.status_code == 202, sent.text
    code = wait_until(lambda: (lambda c: c if c != late else None)(sms_code_for("18600001111")),
                      message="the SMS code")
    claimed = liu.post("/api/v1/claims", json={**body, "sms_code": code})
    assert claimed.status_code == 200 and claimed.json()["count"] >= 1, claimed.text
