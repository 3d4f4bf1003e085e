"""Pushes institutions and accounts from a demo-accounts file into the platform, as HGRG would.

Every request is a signed PUT (idempotent upsert), so provisioning can be re-run at any time.
"""
import json
import os
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import requests

from hgrip_kernel.signing import signed_headers
from hgrip_standins.hgrg.codes import institution_code, unit_code

# deploy/demo-accounts.json of the source tree; images set HGRIP_DEMO_ACCOUNTS (installed copies live elsewhere).
DEFAULT_ACCOUNTS = (os.environ.get("HGRIP_DEMO_ACCOUNTS")
                    or str(Path(__file__).resolve().parents[3] / "demo-accounts.json"))
RETRYABLE_STATUS = {502, 503, 504}   # the gateway (or what is behind it) is still starting
ACCOUNT_FIELDS = ("password", "name", "mobile", "role", "email")   # email: where notices go (null: none)
ACCOUNT_FLAGS = {"real_name_verified": False, "authorised": False, "employed": True}   # flag: default


class ProvisioningError(RuntimeError):
    pass


def load_accounts(path) -> list[dict]:
    accounts = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(accounts, list):
        raise ProvisioningError(f"{path}: expected a JSON list of accounts")
    return accounts


def _institution_key(account: dict) -> tuple[str, str] | None:
    name = account.get("institution")
    if not name:
        return None
    return account.get("institution_code") or institution_code(name), name


def build_requests(accounts: list[dict]) -> list[tuple[str, dict]]:
    """(path, body) for every PUT, institutions first so that accounts can refer to them."""
    institutions: dict[str, dict] = {}
    account_requests = []
    for account in accounts:
        key = _institution_key(account)
        unit = None
        if key:
            code, name = key
            entry = institutions.setdefault(code, {"name": name, "foreign": bool(account.get("foreign")),
                                                   "units": {}})
            if entry["name"] != name or entry["foreign"] != bool(account.get("foreign")):
                raise ProvisioningError(f"institution {code} is described two ways ({account['username']})")
            if account.get("unit"):
                unit = account.get("unit_code") or unit_code(name, account["unit"])
                entry["units"][unit] = account["unit"]
        body = {field: account.get(field) for field in ACCOUNT_FIELDS}
        body.update({flag: bool(account.get(flag, default)) for flag, default in ACCOUNT_FLAGS.items()})
        body["institution"], body["unit"] = (key[0] if key else None), unit
        if account.get("authorised_at"):
            body["authorised_at"] = account["authorised_at"]
        account_requests.append((f"/api/v1/hgrg/accounts/{quote(account['username'], safe='')}", body))
    institution_requests = [
        (f"/api/v1/hgrg/institutions/{quote(code, safe='')}",
         {"name": entry["name"], "foreign": entry["foreign"],
          "units": [{"code": unit, "name": name} for unit, name in entry["units"].items()]})
        for code, entry in institutions.items()]
    return institution_requests + account_requests


def _put(session, gateway_url: str, path: str, body: dict, secret: str, deadline: float, log, cancel) -> int:
    data = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
    # The gateway verifies the decoded request path (no query), so that is what is signed.
    full_path = unquote(urlsplit(gateway_url).path.rstrip("/") + path)
    url = gateway_url.rstrip("/") + path
    while True:
        # Signed per attempt: a retry after a long wait must not carry a stale timestamp.
        headers = {"Content-Type": "application/json; charset=utf-8",
                   **signed_headers(secret, "PUT", full_path, data)}
        try:
            response = session.put(url, data=data, headers=headers, timeout=10)
            if response.status_code not in RETRYABLE_STATUS:
                break
            reason = f"HTTP {response.status_code}"
        except (requests.ConnectionError, requests.Timeout) as error:
            reason = type(error).__name__
        if time.monotonic() >= deadline:
            raise ProvisioningError(f"PUT {url}: gateway not answering before the deadline ({reason})")
        if cancel is not None and cancel.is_set():
            raise ProvisioningError("cancelled")
        log(f"PUT {path}: {reason}, retrying")
        time.sleep(1)
    if not 200 <= response.status_code < 300:
        raise ProvisioningError(f"PUT {url} → {response.status_code}: {response.text[:500]}")
    log(f"PUT {path} → {response.status_code}")
    return response.status_code


def provision(demo_accounts_path, gateway_url: str, secret: str, timeout: float = 120,
              log=print, cancel=None) -> list[tuple[str, int]]:
    """Provision every institution and account; retries while the gateway starts, up to `timeout` s.

    `cancel` (a threading.Event) ends the retrying early, e.g. when the runner is asked to stop.
    """
    deadline = time.monotonic() + timeout
    results = []
    with requests.Session() as session:
        for path, body in build_requests(load_accounts(demo_accounts_path)):
            results.append((path, _put(session, gateway_url, path, body, secret, deadline, log, cancel)))
    return results
