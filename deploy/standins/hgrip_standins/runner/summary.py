"""The table `hgrip-run` prints once everything is up: where things are, and who can log in."""
import re
import unicodedata

from hgrip_standins.runner.app import Status
from hgrip_standins.runner.plan import SERVICES, STANDIN_ADDRESSES, _reachable

_PASSWORD_IN_URL = re.compile(r"(//[^:/@]+:)[^@]*@")


def mask_url(url: str) -> str:
    return _PASSWORD_IN_URL.sub(r"\1***@", url)


def _width(text: str) -> int:
    # CJK characters take two terminal columns; without this the Chinese names break the columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(headers: list[str], rows: list[list[str]]) -> str:
    cells = [headers] + [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule] + [line(row) for row in cells[1:]])


def _http(address: str) -> str:
    host, _, port = address.rpartition(":")
    return f"http://{_reachable(host)}:{port}"


def gateway_url(env: dict) -> str:
    return _http(env.get("HGRIP_GATEWAY_ADDRESS", "127.0.0.1:8000"))


def inbox_urls(env: dict) -> tuple[str, str]:
    """The mail and SMS inbox pages: where a person trying the platform reads the codes it sends."""
    return (_http(env.get("HGRIP_MAIL_WEB_ADDRESS", STANDIN_ADDRESSES["MAIL_WEB"])) + "/",
            _http(env.get("HGRIP_SMS_ADDRESS", STANDIN_ADDRESSES["SMS"])) + "/")


def _feed_rows(var: str, feed: bool | None) -> list[list[str]]:
    if feed is None:   # not asked for (--no-feed)
        return []
    if not feed:
        return [["HGRG feed", "NOT started: see the `downstream` lines above"]]
    return [["HGRG feed (Node, ajv)", f"queue hgrip.downstream.hgrg as user hgrg  (received: "
                                      f"{var}/hgrg-feed/received.jsonl)"]]


def locations(env: dict, feed: bool | None = None) -> list[list[str]]:
    from hgrip_kernel.config import DEFAULT_AMQP_URI

    var = env["HGRIP_VAR"]
    gateway = gateway_url(env)
    mail_page, sms_page = inbox_urls(env)
    rows = [["web application", gateway + "/"],
            ["mail inbox (e-mailed codes)", mail_page],
            ["SMS inbox (SMS codes)", sms_page],
            ["HTTP API", gateway + "/api/v1/"],
            ["health", gateway + "/api/v1/healthz"],
            ["OpenAPI", gateway + "/api/v1/openapi.json"],
            ["HGRG stand-in", env["HGRIP_HGRG_URL"] + "/api/v1/backups  (received: " + var + "/hgrg/received.jsonl)"],
            *_feed_rows(var, feed),
            ["SMTP sink", f"smtp://{env['HGRIP_SMTP_ADDRESS']}  (mail: {var}/mail/, index.jsonl)"],
            ["SMS sink", env["HGRIP_SMS_URL"] + f"/sms/messages  (messages: {var}/sms/)"],
            ["repositories stand-in", env["HGRIP_REPOSITORIES_URL"] + "/repositories/{repository}/datasets"],
            ["broker", mask_url(env.get("HGRIP_AMQP_URI", DEFAULT_AMQP_URI))]]
    for service in SERVICES:
        if service == "gateway":
            continue
        key = f"HGRIP_{service.upper().replace('-', '_')}_DATABASE_URL"
        default = f"sqlite:///{var}/db/{service.replace('-', '_')}.sqlite"
        rows.append([f"db {service}", mask_url(env.get(key, default))])
    rows.append(["var dir", var])
    return rows


def account_rows(accounts: list[dict]) -> list[list[str]]:
    return [[a["username"], a["password"], a["role"], a["name"], a.get("institution") or "-",
             a.get("unit") or "-", "yes" if a.get("authorised") else "no"] for a in accounts]


def headline(env: dict, status: Status) -> str:
    """One sentence that claims no more than what was checked."""
    web = gateway_url(env) + "/"
    if not status.healthy:
        return f"!! HGRIP is NOT ready: {status.problem or 'the gateway is not healthy'}. See the log above."
    if status.provisioned is False:
        return f"!! HGRIP answers at {web}, but the demo accounts were NOT provisioned: {status.problem}"
    if status.logged_in is False:
        return f"!! HGRIP answers at {web}, but the demo accounts cannot log in: {status.problem}"
    if status.logged_in:
        return f"HGRIP is up: open {web} and log in with a demo account below."
    return f"HGRIP is up: {web}"


def render(env: dict, accounts: list[dict], status: Status) -> str:
    parts = ["", headline(env, status), "", table(["what", "where"], locations(env, status.feed)), ""]
    if accounts:
        if status.logged_in:
            state = "provisioned; checked by logging in"
        elif status.provisioned:
            state = "provisioned, but the login failed: see the log above"
        else:
            state = "NOT provisioned, see the log above"
        parts += [f"Demo accounts ({state}):", "",
                  table(["username", "password", "role", "name", "institution", "unit", "authorised"],
                        account_rows(accounts)), ""]
    parts.append("Ctrl-C stops everything.")
    return "\n".join(parts)
