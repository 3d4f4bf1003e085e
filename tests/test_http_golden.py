"""The HTTP answers of the whole platform, compared with a recording (tests/golden/http_responses.json).

One scripted scenario over the public API, against the real platform (every service, the broker,
PostgreSQL, the stand-ins): every route under /api/v1 at least once with success, the characteristic
refusals (400 invalid_input with details.fields, 401, 403 csrf_rejected, 404, 405, 409, 413, 423,
429 with Retry-After), the manual's example backup through submit, filings, institution views,
delegation transfer, legacy claims, the session cookie routes and, when web/dist is built, the
headers of the web pages. Every exchange is recorded as method, path, request body, status, selected
headers and body, with only what legitimately differs between runs normalised (ids, recent
timestamps, today's date in backup numbers, tokens, verification codes, host:port, the seconds of
Retry-After). The fresh record must equal the committed one, exchange by exchange.

The recording was taken from the code before issue 9's refactor, so that the refactor can prove the
HTTP behaviour unchanged. Re-record (``HGRIP_GOLDEN_RECORD=1 pytest tests/test_http_golden.py``) only
for a deliberate API change, never to make a refactor pass.
"""
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from hgrip_kernel.signing import signed_headers
from hgrip_kernel.testing.fixtures import wait_until
from hgrip_standins.hgrg.provision import build_requests, load_accounts

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "http_responses.json"
RECORDING = os.environ.get("HGRIP_GOLDEN_RECORD") == "1"
DEMO_ACCOUNTS = ROOT / "deploy" / "demo-accounts.json"
DEMO_LEGACY = ROOT / "deploy" / "demo-legacy.json"
WEB_DIST = ROOT / "web" / "dist"
PASSWORD = "Demo-2026!"
HGRIP = Path(sys.executable).with_name("hgrip")

RECORDED_HEADERS = ("Content-Type", "Content-Encoding", "Cache-Control", "Retry-After", "Location", "Set-Cookie",
                    "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "Content-Security-Policy",
                    "WWW-Authenticate", "Allow", "Vary")
DIGEST_ONLY = {"/api/v1/openapi.json"}   # checked in full by the gateway's own drift test
RECENT = timedelta(days=7)                # a timestamp this close to now was made by this run
MAX_WAIT = 3600                           # seconds of a Retry-After this run may see (the rate limits' windows)

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
BACKUP_NUMBER = re.compile(r"BF(\d{8})(\d{5})?(?!\d)")   # also a prefix (a query)
HOST = re.compile(r"127\.0\.0\.1:\d+")
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
ASSET = re.compile(r"/assets/([\w.]+?)-[\w-]{8}\.(js|css)")

PROJECT = {"name": "三例样本（父母子）的测序数据开放共享备案", "pi_name": "刘晓寒",
           "pi_email": "data-admin@big.ac.cn", "consent": True}
BACKUP = {"name": "三例样本（父母子）的测序数据开放共享备份", "categories": ["targeted"]}
HRA = {"detailed_type": "raw_sequencing", "cases": 50, "mb_per_case": 2000,
       "submission_account": "data-admin@big.ac.cn", "accession": "HRA000567"}
OMIX = {"detailed_type": "analysis_statistics", "cases": 10, "mb_per_case": 5,
        "submission_account": "zhangxx@big.ac.cn", "accession": "OMIX001226"}
FILING = {"filing_number": "BA202501150001", "declared_mb": 500, "recipient": "Pacific Genomics Ltd (US)",
          "filed_at": "2025-01-15T10:00:00+08:00"}


class Normaliser:
    """Replaces what differs between runs; ids are numbered by first appearance over the whole run."""

    def __init__(self):
        self.ids: dict[str, int] = {}
        self.codes: set[str] = set()     # verification / SMS codes really sent in this run
        self.now = datetime.now(UTC)

    def text(self, value: str) -> str:
        value = JWT.sub("<token>", value)
        value = UUID.sub(lambda m: f"<id:{self.ids.setdefault(m.group(0).lower(), len(self.ids) + 1)}>", value)
        value = TIMESTAMP.sub(self._timestamp, value)
        value = BACKUP_NUMBER.sub(self._backup_number, value)
        return HOST.sub("<host>", value)

    def _timestamp(self, match) -> str:
        try:
            moment = datetime.fromisoformat(match.group(0))
        except ValueError:
            return match.group(0)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return "<time>" if abs(moment - self.now) <= RECENT else match.group(0)

    def _backup_number(self, match) -> str:
        try:
            day = datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=UTC)
        except ValueError:
            return match.group(0)
        return f"BF<date>{match.group(2) or ''}" if abs(day - self.now) <= RECENT else match.group(0)

    def value(self, value, key=None):
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if key in ("access_token",) and isinstance(value, str):
            return "<token>"
        if key in ("code", "sms_code") and isinstance(value, str) and re.fullmatch(r"\d{6}", value):
            return "<code>" if value in self.codes else "<wrong code>"
        if key == "retry_after_seconds" and isinstance(value, int | float) and 0 < value <= MAX_WAIT:
            return "<seconds>"
        if isinstance(value, str):
            return self.text(value)
        return value

    def header(self, name: str, value: str) -> str:
        if name == "Set-Cookie":
            # Every cookie's value (a browser login sets two, joined by ", ": the session, the known device).
            value = re.sub(r"(^|, )(\w+)=([^;]+)", r"\1\2=<token>", value)
        if name == "Retry-After" and value.isdigit() and 0 < int(value) <= MAX_WAIT:
            return "<seconds>"
        return ASSET.sub(r"/assets/\1-<hash>.\2", self.text(value))


class Recorder:
    """Sends requests to the gateway and records each exchange, normalised, in order."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.normalise = Normaliser()
        self.exchanges: list[dict] = []
        self.tokens: dict[str, str] = {}

    def login(self, username: str):
        answer = self.send("POST", "/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        self.tokens[username] = answer.json()["access_token"]

    def send(self, method: str, path: str, *, as_=None, json=None, data=None, params=None, headers=None,
             cookie=None, label=None):
        """``as_``: a username logged in with ``login`` (bearer), or None (anonymous)."""
        sent = {"Accept-Encoding": "gzip", "X-Request-Id": f"golden-{len(self.exchanges) + 1}", **(headers or {})}
        if as_ is not None:
            sent["Authorization"] = f"Bearer {self.tokens[as_]}"
        if cookie is not None:
            sent["Cookie"] = f"hgrip_session={cookie}"
        answer = self.http.request(method, self.base + path, json=json, data=data, params=params, headers=sent,
                                   timeout=30, allow_redirects=False)
        self.exchanges.append(self._record(method, path, params, json, data, answer,
                                           label or self._who(as_, cookie, headers)))
        return answer

    @staticmethod
    def _who(as_, cookie, headers) -> str:
        who = as_ or ("cookie" if cookie else "anonymous")
        extra = sorted(name for name in (headers or {}) if name not in ("Content-Type",))
        return " + ".join([who, *extra])

    def _record(self, method, path, params, json_body, data, answer, who) -> dict:
        n = self.normalise
        target = path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
        if json_body is not None:
            request_body = n.value(json_body)
        elif data is not None:
            request_body = data.decode("utf-8") if len(data) < 200 else f"<{len(data)} bytes>"
        else:
            request_body = None
        recorded_headers = {name: n.header(name, answer.headers[name])
                            for name in RECORDED_HEADERS if name in answer.headers}
        content_type = answer.headers.get("Content-Type", "")
        if not urlsplit(path).path.startswith("/api/"):
            body = "<page: headers only>"
        elif not answer.content:
            body = None
        elif content_type.startswith("application/json"):
            body = n.value(answer.json())
            if path in DIGEST_ONLY:
                body = {"sha256": hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()}
        else:
            body = {"sha256": hashlib.sha256(answer.content).hexdigest()}
        return {"as": who, "method": method, "path": n.header("Location", target), "request": request_body,
                "status": answer.status_code, "headers": recorded_headers, "body": body}


def signed(recorder, method, path, body: dict, secret: str):
    data = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept-Encoding": "gzip",
               "X-Request-Id": f"golden-{len(recorder.exchanges) + 1}", **signed_headers(secret, method, path, data)}
    answer = recorder.http.request(method, recorder.base + path, data=data, headers=headers, timeout=30,
                                   allow_redirects=False)
    recorder.exchanges.append(recorder._record(method, path, None, body, None, answer, "hgrg (signed)"))
    return answer


def quiet_get(recorder, path, username, **params):
    """A read that is not recorded: waiting for asynchronous effects."""
    answer = recorder.http.get(recorder.base + path, params=params, timeout=30,
                               headers={"Authorization": f"Bearer {recorder.tokens[username]}"})
    return answer.json() if answer.status_code == 200 else None


def pretty(exchange) -> list[str]:
    return json.dumps(exchange, ensure_ascii=False, sort_keys=True, indent=2).splitlines()


def scenario(platform, mailbox, sms_code_for) -> list[dict]:
    r = Recorder(platform.gateway_url)
    secret = platform.env["HGRIP_HGRG_SHARED_SECRET"]

    # The demo export of the old system, imported before anyone logs in (not HTTP: the operator's command).
    imported = subprocess.run([str(HGRIP), "legacy", "import", str(DEMO_LEGACY), "--no-progress"],
                              env={**os.environ, **platform.env}, capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr + imported.stdout

    # ---- public routes and the gateway's own refusals ----
    r.send("GET", "/api/v1/healthz")
    r.send("GET", "/api/v1/openapi.json")
    r.send("GET", "/api/v1/taxonomy")
    r.send("GET", "/api/v1/projects")                                                    # 401 unauthenticated
    r.send("GET", "/api/v1/me", headers={"Authorization": "Bearer not-a-token"})         # 401 invalid_token
    r.send("GET", "/api/v1/no-such-route")                                               # 404 not_found
    r.send("DELETE", "/api/v1/taxonomy")                                                 # 405
    r.send("POST", "/api/v1/auth/login", data=b"not json", headers={"Content-Type": "application/json"})
    r.send("POST", "/api/v1/auth/login", data=b"[1, 2]", headers={"Content-Type": "application/json"})
    r.send("POST", "/api/v1/auth/login", json={"username": "", "password": 7, "remember": True})
    r.send("POST", "/api/v1/auth/login", json={"username": "zhangxiaohan", "password": "wrong"})  # 401
    r.send("POST", "/api/v1/auth/login", data=b'{"username": "' + b"x" * (1100 * 1024) + b'"}',
           headers={"Content-Type": "application/json"})                                 # 413

    # ---- everyone logs in (张晓寒's and 王雨晴's first login attaches their legacy backups) ----
    for username in ("ngdc-legal", "ngdc-bio-admin", "ngdc-data-admin", "ecmg-legal", "zhangxiaohan",
                     "wangyuqing", "liuhaoran", "zhaominghui", "sunlijuan", "zhoujianguo", "operator"):
        r.login(username)

    def legacy_of(username):
        rows = quiet_get(r, "/api/v1/institution/backups", "ngdc-legal", status="completed", page_size=100,
                         delegate=username) or {"items": []}
        return sorted(row["backup_number"] for row in rows["items"] if row["origin"] == "legacy")
    wait_until(lambda: legacy_of("zhangxiaohan") == ["BF2021031500012", "BF2022110800047"], timeout=30,
               message="张晓寒's legacy backups attached")
    wait_until(lambda: legacy_of("wangyuqing") == ["BF2022052000019"], timeout=30,
               message="王雨晴's legacy backup attached")

    r.send("GET", "/api/v1/me", as_="zhangxiaohan")
    r.send("GET", "/api/v1/me", as_="operator")

    # ---- the browser session (cookie) routes and CSRF ----
    origin = f"http://{urlsplit(platform.gateway_url).netloc}"
    csrf = {"X-HGRIP-CSRF": "1"}
    login = {"username": "wangyuqing", "password": PASSWORD}
    r.send("GET", "/api/v1/auth/session")
    r.send("POST", "/api/v1/auth/session", json=login)                                   # 403 no CSRF header
    r.send("POST", "/api/v1/auth/session", json=login, headers={**csrf, "Origin": "http://evil.example"},
           label="anonymous + X-HGRIP-CSRF + Origin (another site)")
    r.send("POST", "/api/v1/auth/session", json={**login, "password": "wrong"}, headers=csrf)   # 401
    session = r.send("POST", "/api/v1/auth/session", json=login, headers={**csrf, "Origin": origin},
                     label="anonymous + X-HGRIP-CSRF + Origin (this host)")
    cookie = re.match(r"hgrip_session=([^;]+)", session.headers["Set-Cookie"]).group(1)
    r.send("GET", "/api/v1/auth/session", cookie=cookie)
    r.send("GET", "/api/v1/me", cookie=cookie)
    r.send("POST", "/api/v1/projects", json={**PROJECT, "name": "会话项目"}, cookie=cookie)   # 403 csrf_rejected
    r.send("POST", "/api/v1/projects", json={**PROJECT, "name": "会话项目"}, cookie=cookie, headers=csrf)
    r.send("GET", "/api/v1/me", cookie="not-a-token")                                    # 401 invalid_token
    r.send("GET", "/api/v1/auth/session", cookie="not-a-token")                          # cleared
    r.send("DELETE", "/api/v1/auth/session", cookie=cookie)                              # 403 no CSRF header
    r.send("DELETE", "/api/v1/auth/session", cookie=cookie, headers=csrf)                # 204
    r.send("DELETE", "/api/v1/auth/session", headers=csrf)                               # 204 without a cookie

    # ---- projects ----
    project = r.send("POST", "/api/v1/projects", as_="zhangxiaohan", json=PROJECT).json()
    r.send("GET", "/api/v1/projects", as_="zhangxiaohan")
    r.send("GET", f"/api/v1/projects/{project['id']}", as_="zhangxiaohan")
    r.send("POST", "/api/v1/projects", as_="zhangxiaohan", json=PROJECT)                # 409 project_name_taken
    r.send("POST", "/api/v1/projects", as_="zhangxiaohan",                              # 400, several fields
           json={"name": "", "pi_name": "x" * 51, "pi_email": "nope", "consent": "yes", "budget": 1})
    r.send("POST", "/api/v1/projects", as_="zhangxiaohan", json={**PROJECT, "name": "无同意", "consent": False})
    r.send("POST", "/api/v1/projects", as_="zhaominghui", json={**PROJECT, "name": "未授权"})   # 403
    r.send("POST", "/api/v1/projects", as_="zhoujianguo", json={**PROJECT, "name": "境外"})     # 403
    r.send("GET", f"/api/v1/projects/{project['id']}", as_="wangyuqing")                # 404
    r.send("GET", "/api/v1/projects/not-a-uuid", as_="zhangxiaohan")
    r.send("GET", "/api/v1/projects", as_="operator")

    # ---- the manual's example: backup, two files, the e-mailed code, submit ----
    backup = r.send("POST", f"/api/v1/projects/{project['id']}/backups", as_="zhangxiaohan", json=BACKUP).json()
    base = f"/api/v1/backups/{backup['id']}"
    hra = r.send("POST", f"{base}/files", as_="zhangxiaohan", json=HRA).json()
    omix = r.send("POST", f"{base}/files", as_="zhangxiaohan", json=OMIX).json()
    r.send("GET", f"{base}/files/{omix['id']}", as_="zhangxiaohan")
    r.send("GET", base, as_="zhangxiaohan")
    r.send("GET", f"{base}/sync", as_="zhangxiaohan")                                    # 409 not submitted
    r.send("POST", f"{base}/submit", as_="zhangxiaohan")                                 # 409 files_not_verified
    r.send("POST", f"{base}/files/{hra['id']}/verification-code", as_="zhangxiaohan")    # 409: already complete
    r.send("POST", f"{base}/files/{omix['id']}/verification-code", as_="zhangxiaohan")
    code = wait_until(lambda: mailbox.latest_code("zhangxx@big.ac.cn"), message="the e-mailed code")
    r.normalise.codes.add(code)
    r.send("POST", f"{base}/files/{omix['id']}/verification-code", as_="zhangxiaohan")   # 429 + Retry-After
    wrong = "000000" if code != "000000" else "111111"
    r.send("POST", f"{base}/files/{omix['id']}/verify", as_="zhangxiaohan", json={"code": wrong})   # 400
    r.send("POST", f"{base}/files/{omix['id']}/verify", as_="zhangxiaohan", json={"code": "12345"})  # 400 shape
    r.send("POST", f"{base}/files/{omix['id']}/verify", as_="zhangxiaohan", json={"code": code})
    submitted = r.send("POST", f"{base}/submit", as_="zhangxiaohan").json()
    number = submitted["backup_number"]
    wait_until(lambda: (quiet_get(r, f"{base}/sync", "zhangxiaohan") or {}).get("state") == "synced",
               timeout=30, message="registry sync")
    r.send("GET", f"{base}/sync", as_="zhangxiaohan")
    r.send("GET", base, as_="zhangxiaohan")
    r.send("GET", f"/api/v1/projects/{project['id']}/backups", as_="zhangxiaohan")
    r.send("GET", f"{base}/history", as_="zhangxiaohan")
    # Locked after submission: only cases and MB per case may still be corrected.
    r.send("POST", f"{base}/files", as_="zhangxiaohan", json={**HRA, "accession": "HRA000568"})
    r.send("PATCH", base, as_="zhangxiaohan", json={"name": "改名"})
    r.send("DELETE", f"{base}/files/{omix['id']}", as_="zhangxiaohan")
    r.send("PATCH", f"{base}/files/{omix['id']}", as_="zhangxiaohan", json={"accession": "OMIX001227"})
    r.send("PATCH", f"{base}/files/{omix['id']}", as_="zhangxiaohan", json={"cases": 12, "mb_per_case": 6})
    r.send("POST", f"{base}/submit", as_="zhangxiaohan")                                 # 409 already submitted
    r.send("GET", base, as_="wangyuqing")                                                # 404 backup_not_found
    r.send("GET", f"{base}/sync", as_="wangyuqing")

    # ---- a draft and its refusals ----
    draft = r.send("POST", f"/api/v1/projects/{project['id']}/backups", as_="zhangxiaohan",
                   json={"name": "拒绝测试", "categories": ["targeted"]}).json()
    other = f"/api/v1/backups/{draft['id']}"
    r.send("POST", f"{other}/files", as_="zhangxiaohan", json={**HRA, "submission_account": "zhangxx@big.ac.cn"})
    r.send("POST", f"{other}/files", as_="zhangxiaohan", json={**HRA, "accession": "HRA999998"})
    r.send("POST", f"{other}/files", as_="zhangxiaohan", json={**HRA, "accession": "HRA00567"})
    r.send("POST", f"{other}/files", as_="zhangxiaohan",
           json={**HRA, "detailed_type": "chip_raw", "accession": "OMIX001226"})
    r.send("POST", f"{other}/files", as_="zhangxiaohan",
           json={**HRA, "cases": 0, "mb_per_case": "2000", "submission_account": "not-an-email", "extra": 1})
    r.send("POST", f"/api/v1/projects/{project['id']}/backups", as_="zhangxiaohan",
           json={"name": "x", "categories": ["nope"]})
    r.send("POST", f"/api/v1/projects/{project['id']}/backups", as_="zhangxiaohan", json={"categories": []})
    added = r.send("POST", f"{other}/files", as_="zhangxiaohan", json=HRA).json()
    r.send("POST", f"{other}/files", as_="zhangxiaohan", json=HRA)                       # 409 already in backup
    r.send("PATCH", other, as_="zhangxiaohan", json={"categories": ["chip"]})             # 409 strands files
    r.send("PATCH", other, as_="zhangxiaohan", json={})                                  # 400 empty_update
    r.send("PATCH", other, as_="zhangxiaohan", json={"name": "拒绝测试（改名）", "categories": ["targeted", "wgs"]})
    r.send("PATCH", f"{other}/files/{added['id']}", as_="zhangxiaohan", json={"cases": 7})
    r.send("DELETE", f"{other}/files/{added['id']}", as_="zhangxiaohan")
    r.send("GET", f"{other}/files/{added['id']}", as_="zhangxiaohan")                    # 404 file_not_found
    r.send("POST", f"{other}/submit", as_="zhangxiaohan")                                # 409 backup_has_no_files
    pending = r.send("POST", f"{other}/files", as_="zhangxiaohan", json=OMIX).json()
    mails = len(mailbox.to("zhangxx@big.ac.cn"))
    r.send("POST", f"{other}/files/{pending['id']}/verification-code", as_="zhangxiaohan")
    second = wait_until(lambda: len(mailbox.to("zhangxx@big.ac.cn")) > mails and
                        mailbox.latest_code("zhangxx@big.ac.cn"), message="the second e-mailed code")
    r.normalise.codes.add(second)
    wrong = "000000" if second != "000000" else "111111"
    for _ in range(6):                                                                   # 400 ×5, then 423
        r.send("POST", f"{other}/files/{pending['id']}/verify", as_="zhangxiaohan", json={"code": wrong})
    r.send("POST", f"{other}/files/{pending['id']}/verify", as_="zhangxiaohan", json={"code": second})
    for n in (1, 2):
        r.send("POST", f"/api/v1/projects/{project['id']}/backups", as_="zhangxiaohan",
               json={"name": f"未完成备份 {n}", "categories": ["wgs"]})

    # ---- HGRG: provisioning upserts and a filing (signed) ----
    accounts = load_accounts(DEMO_ACCOUNTS)
    zhang_account = next(a for a in accounts if a["username"] == "zhangxiaohan")
    leaver = {**zhang_account, "username": "golden-leaver", "name": "离职测试", "mobile": "13000000001",
              "employed": False, "authorised_at": "2024-05-01T09:00:00+08:00"}
    (institution_path, institution), (account_path, account) = build_requests([zhang_account])
    signed(r, "PUT", institution_path, institution, secret)                               # changed: false
    signed(r, "PUT", account_path, account, secret)                                       # changed: false
    _, (leaver_path, leaver_body) = build_requests([leaver])
    signed(r, "PUT", leaver_path, leaver_body, secret)                                    # changed: true
    signed(r, "PUT", "/api/v1/hgrg/institutions/INST-GOLDEN", {"name": "黄金测试研究所", "foreign": False,
                                                              "units": [{"code": "UNIT-GOLDEN-1", "name": "一部"}]},
           secret)
    signed(r, "PUT", "/api/v1/hgrg/accounts/golden-bad", {"name": "", "role": "king", "real_name_verified": "yes",
                                                          "authorised": False}, secret)   # 400
    filing = {**FILING, "backup_numbers": [number, "BF2000010100001"]}
    signed(r, "POST", "/api/v1/hgrg/filings", filing, secret)
    signed(r, "POST", "/api/v1/hgrg/filings", filing, secret)                             # idempotent
    r.send("POST", "/api/v1/hgrg/filings", json=filing, headers={"X-HGRG-Timestamp": "1", "X-HGRG-Signature": "0"})
    r.send("POST", "/api/v1/hgrg/filings", as_="ngdc-legal", json=filing)                # a token is no signature
    signed(r, "POST", "/api/v1/hgrg/filings", {**FILING, "filing_number": "BA202501150002",
                                               "backup_numbers": [number], "declared_mb": 200000,
                                               "recipient": "Recipient B"}, secret)
    r.send("GET", base, as_="zhangxiaohan")
    r.send("GET", f"{base}/history", as_="zhangxiaohan")

    # ---- institution views (legal person, unit admins) once the read models caught up ----
    wait_until(lambda: any(row["username"] == "golden-leaver" for row in
                           (quiet_get(r, "/api/v1/institution/members", "ngdc-legal", page_size=100)
                            or {"items": []})["items"]), timeout=30, message="the new member")
    wait_until(lambda: [(row["project_count"], row["backups_completed"], row["backups_incomplete"]) for row in
                        (quiet_get(r, "/api/v1/institution/delegates", "ngdc-legal", name="张晓寒")
                         or {"items": []})["items"]] == [(1, 3, 3)], timeout=30, message="the delegate counts")
    wait_until(lambda: [(row["project_count"]) for row in
                        (quiet_get(r, "/api/v1/institution/delegates", "ngdc-legal", name="王雨晴")
                         or {"items": []})["items"]] == [1], timeout=30, message="the session project")
    view = "/api/v1/institution/backups"
    r.send("GET", view, as_="ngdc-legal")
    r.send("GET", view, as_="ngdc-legal", params={"status": "incomplete"})
    for query in ({"backup_number": number}, {"backup_number": number[:10]}, {"delegate": "张晓寒"},
                  {"pi": "刘晓寒"}, {"name": "三例样本"}, {"filing_number": "BA202501150001"},
                  {"sort": "backup_number"}, {"sort": "-backup_number"}, {"sort": "name"}, {"sort": "-name"},
                  {"sort": "created_at", "page": 2, "page_size": 2}, {"delegate": "王雨晴", "status": "incomplete"}):
        r.send("GET", view, as_="ngdc-legal", params=query)
    r.send("GET", view, as_="ngdc-legal", params={"status": "finished", "page": 0, "page_size": 101, "sort": "x"})
    r.send("GET", view, as_="ngdc-bio-admin")
    r.send("GET", view, as_="ngdc-data-admin")
    r.send("GET", view, as_="ecmg-legal")
    r.send("GET", view, as_="zhangxiaohan")                                              # 403
    r.send("GET", view, as_="operator")                                                  # 403
    r.send("GET", f"{view}/{backup['id']}", as_="ngdc-legal")
    legacy = quiet_get(r, view, "ngdc-legal", backup_number="BF2021031500012")["items"][0]
    r.send("GET", f"{view}/{legacy['id']}", as_="ngdc-bio-admin")
    r.send("GET", f"{view}/{backup['id']}", as_="ngdc-data-admin")                      # 404
    r.send("GET", f"{view}/{backup['id']}", as_="ecmg-legal")                           # 404
    for username, query in (("ngdc-legal", {"page_size": 100}), ("ngdc-legal", {"page": 2, "page_size": 2}),
                            ("ngdc-legal", {"role": "unit_admin"}), ("ngdc-legal", {"name": "王"}),
                            ("ngdc-bio-admin", {}), ("ecmg-legal", {}), ("ngdc-legal", {"page_size": 0})):
        r.send("GET", "/api/v1/institution/members", as_=username, params=query)
    for username, query in (("ngdc-legal", {}), ("ngdc-legal", {"name": "张晓寒"}),
                            ("ngdc-legal", {"employed": "false"}), ("ngdc-data-admin", {}),
                            ("ngdc-bio-admin", {"page": 1, "page_size": 1})):
        r.send("GET", "/api/v1/institution/delegates", as_=username, params=query)
    r.send("GET", "/api/v1/institution/members", as_="wangyuqing")                      # 403
    r.send("GET", "/api/v1/institution/delegates", as_="operator")                       # 403

    # ---- legacy claims ----
    liu = {"legacy_name": "刘浩然", "legacy_mobile": "18600001111"}
    r.send("POST", "/api/v1/claims/sms-code", as_="liuhaoran", json={"legacy_name": "无此人",
                                                                     "legacy_mobile": "13000000000"})  # 404
    r.send("POST", "/api/v1/claims/sms-code", as_="liuhaoran", json={"legacy_name": "", "legacy_mobile": "12"})
    r.send("POST", "/api/v1/claims/sms-code", as_="liuhaoran", json=liu)
    sms = wait_until(lambda: sms_code_for("18600001111"), message="the SMS code")
    r.normalise.codes.add(sms)
    r.send("POST", "/api/v1/claims/sms-code", as_="liuhaoran", json=liu)                 # 429 + Retry-After
    wrong = "000000" if sms != "000000" else "111111"
    r.send("POST", "/api/v1/claims", as_="liuhaoran", json={**liu, "sms_code": wrong})  # 400 sms_code_invalid
    r.send("POST", "/api/v1/claims", as_="liuhaoran", json={**liu, "sms_code": sms})
    r.send("POST", "/api/v1/claims/sms-code", as_="liuhaoran", json=liu)                 # 409 already claimed
    r.send("POST", "/api/v1/claims", as_="liuhaoran", json={**liu, "sms_code": sms})    # 409
    r.send("POST", "/api/v1/claims/sms-code", as_="zhaominghui",
           json={"legacy_name": "赵明辉", "legacy_mobile": "17755556666"})               # 409 other institution
    r.send("POST", "/api/v1/claims/sms-code", as_="ngdc-legal", json=liu)                # 403
    huang = {"legacy_name": "黄志强", "legacy_mobile": "13700137000"}
    r.send("POST", "/api/v1/institution/claims", as_="ngdc-data-admin",
           json={**huang, "delegate_account": "wangyuqing"})                             # 404 member_not_found
    r.send("POST", "/api/v1/institution/claims", as_="liuhaoran", json={**huang, "delegate_account": "liuhaoran"})
    r.send("POST", "/api/v1/institution/claims", as_="ngdc-legal",
           json={**huang, "delegate_account": "golden-leaver"})                          # 409 not employed
    r.send("POST", "/api/v1/institution/claims", as_="ngdc-legal", json={**huang, "delegate_account": "wangyuqing"})
    r.send("POST", "/api/v1/institution/claims", as_="ngdc-legal", json={**huang, "delegate_account": "liuhaoran"})

    # ---- delegation transfer (委托调整) ----
    transfer = "/api/v1/institution/delegations"
    r.send("POST", transfer, as_="ngdc-bio-admin", json={"from_account": "zhangxiaohan", "to_account": "zhangxiaohan"})
    r.send("POST", transfer, as_="ngdc-bio-admin", json={"from_account": "zhangxiaohan", "to_account": "sunlijuan"})
    r.send("POST", transfer, as_="ngdc-bio-admin",
           json={"from_account": "zhangxiaohan", "to_account": "ngdc-bio-admin"})        # 409 not a natural person
    r.send("POST", transfer, as_="ngdc-legal",
           json={"from_account": "zhangxiaohan", "to_account": "golden-leaver"})         # 409 not employed
    r.send("POST", transfer, as_="wangyuqing", json={"from_account": "zhangxiaohan", "to_account": "wangyuqing"})
    r.send("POST", transfer, as_="ngdc-bio-admin", json={"from_account": "zhangxiaohan"})   # 400
    r.send("POST", transfer, as_="ngdc-bio-admin", json={"from_account": "zhangxiaohan", "to_account": "wangyuqing"})
    r.send("GET", base, as_="wangyuqing")
    r.send("GET", base, as_="zhangxiaohan")                                              # 404 now
    r.send("GET", f"{base}/history", as_="wangyuqing")
    wait_until(lambda: len((quiet_get(r, "/api/v1/projects", "wangyuqing") or {"items": []})["items"]) == 2,
               timeout=30, message="the moved project")
    r.send("GET", "/api/v1/projects", as_="wangyuqing")
    r.send("POST", "/api/v1/projects", as_="liuhaoran", json=PROJECT)
    wait_until(lambda: [row["project_count"] for row in
                        (quiet_get(r, "/api/v1/institution/delegates", "ngdc-legal", name="刘浩然")
                         or {"items": []})["items"]] == [1], timeout=30, message="刘浩然's project known")
    r.send("POST", transfer, as_="ngdc-legal",
           json={"from_account": "wangyuqing", "to_account": "liuhaoran"})                # 409 has project named
    wait_until(lambda: [(row["project_count"]) for row in
                        (quiet_get(r, "/api/v1/institution/delegates", "ngdc-legal", name="王雨晴")
                         or {"items": []})["items"]] == [2], timeout=30, message="the moved project")
    r.send("GET", "/api/v1/institution/delegates", as_="ngdc-legal", params={"name": "王雨晴"})

    # ---- wrong passwords: slowed per (account, address), nobody locked out (tests/test_e2e_abuse.py) ----
    for _ in range(6):                                                                   # 401 ×5, then 429
        r.send("POST", "/api/v1/auth/login", json={"username": "zhoujianguo", "password": "wrong"})
    r.send("POST", "/api/v1/auth/login", json={"username": "zhoujianguo", "password": PASSWORD})   # 429 too

    # ---- the web application's pages (headers only), when it is built ----
    if (WEB_DIST / "index.html").is_file():
        index = (WEB_DIST / "index.html").read_text(encoding="utf-8")
        script = re.search(r'src="(/assets/[^"]+\.js)"', index).group(1)
        for path in ("/", "/login", script, "/assets/missing-00000000.js"):
            r.send("GET", path)
    return r.exchanges


def differences(fresh: list[dict], expected: list[dict], shown: int = 3) -> str | None:
    """None when equal, else how many exchanges differ and a unified diff of the first ``shown``."""
    fresh = json.loads(json.dumps(fresh, ensure_ascii=False, sort_keys=True))   # as the file has it
    if fresh == expected:
        return None
    differing = [index for index in range(max(len(fresh), len(expected)))
                 if index >= len(fresh) or index >= len(expected) or fresh[index] != expected[index]]
    diffs = []
    for index in differing[:shown]:
        was = expected[index] if index < len(expected) else None
        now = fresh[index] if index < len(fresh) else None
        what = " ".join(str((was or now)[key]) for key in ("as", "method", "path"))
        diffs.append("\n".join(difflib.unified_diff(pretty(was), pretty(now), f"golden exchange {index} ({what})",
                                                    f"this run's exchange {index}", lineterm="", n=4)))
    return (f"{len(differing)} of {len(expected)} recorded HTTP exchanges differ ({len(fresh)} made this run); "
            f"the first ones:\n\n" + "\n\n".join(diffs))


def test_http_answers_are_what_they_were(platform, mailbox, sms_code_for):
    exchanges = scenario(platform, mailbox, sms_code_for)
    if RECORDING:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(exchanges, ensure_ascii=False, sort_keys=True, indent=2) + "\n",
                          encoding="utf-8")
        return
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    if not (WEB_DIST / "index.html").is_file():   # pages are recorded with web/dist built (make test builds it)
        expected = [exchange for exchange in expected if exchange["path"].startswith("/api/")]
    problem = differences(exchanges, expected)
    if problem:
        pytest.fail(problem, pytrace=False)
