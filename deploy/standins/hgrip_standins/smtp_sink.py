"""SMTP sink: accepts every message over real SMTP and stores it as an .eml file instead of relaying it.

Protocol: docs/protocols/smtp-sink.md. Address from HGRIP_SMTP_ADDRESS (default 127.0.0.1:8025),
messages under $HGRIP_VAR/mail/ with one `index.jsonl` line per message. An inbox page and a JSON
listing of the decoded messages are served over HTTP at HGRIP_MAIL_WEB_ADDRESS (default 127.0.0.1:8027),
and `POST /mail/control` there makes the sink refuse mail (451) or accept it late, for fault tests.
"""
import asyncio
import json
import os
import re
import threading
import uuid
from email import message_from_bytes, policy
from functools import lru_cache
from html import escape
from html.parser import HTMLParser
from pathlib import Path

from aiosmtpd.controller import Controller

from hgrip_kernel.masking import mask_email
from hgrip_standins import inbox
from hgrip_standins.common import (
    BadRequest,
    JsonHandler,
    Response,
    address_from_env,
    file_stamp,
    iso,
    log,
    make_server,
    run_until_signalled,
    start_in_thread,
    utc_now,
    var_path,
)
from hgrip_standins.control import Availability

DEFAULT_ADDRESS = "127.0.0.1:8025"
DEFAULT_WEB_ADDRESS = "127.0.0.1:8027"
# What DATA gets: accepted; refused with a transient 451 (nothing stored); accepted after delay_ms.
MODES = ("ok", "refuse", "slow")
MESSAGE_ID = re.compile(r"\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{32}")   # a stored file's stem: nothing else is served


class MailboxHandler:
    """aiosmtpd handler: one .eml per message (the bytes as received) plus an index line."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.delivery = Availability(MODES)   # set through the web server's /mail/control

    async def handle_DATA(self, server, session, envelope):
        delivery = self.delivery.snapshot()
        if delivery["mode"] == "refuse":
            log("smtp-sink", "refused a message (control mode)")
            return "451 4.3.0 Mail temporarily refused (control mode)"
        if delivery["mode"] == "slow":
            await asyncio.sleep(delivery["delay_ms"] / 1000)
        now = utc_now()
        name = f"{file_stamp(now)}-{uuid.uuid4().hex}.eml"
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        parsed = message_from_bytes(content, policy=policy.default)
        entry = {"file": name, "from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                 "subject": str(parsed.get("Subject", "")), "message_id": parsed.get("Message-ID"),
                 "received_at": iso(now)}
        with self._lock:
            # .eml first, index second: whoever follows the index always finds the file.
            temporary = self.directory / (name + ".tmp")
            temporary.write_bytes(content)
            temporary.replace(self.directory / name)
            with open(self.directory / "index.jsonl", "a", encoding="utf-8") as index:
                index.write(json.dumps(entry, ensure_ascii=False) + "\n")
        log("smtp-sink", f"stored {name} for {', '.join(mask_email(r) for r in envelope.rcpt_tos)}")
        return "250 Message accepted for delivery"


def create_controller(host: str = "127.0.0.1", port: int = 8025, directory: Path | None = None) -> Controller:
    handler = MailboxHandler(directory or var_path("mail"))
    # SMTPUTF8: Chinese display names and subjects arrive as they are sent.
    return Controller(handler, hostname=host, port=port, enable_SMTPUTF8=True, ready_timeout=10)


def read_index(directory: Path) -> list[dict]:
    """The index, oldest first. A line still being appended (no newline yet) is left for the next read."""
    index = directory / "index.jsonl"
    if not index.exists():
        return []
    entries = []
    for line in index.read_text(encoding="utf-8").split("\n")[:-1]:
        if line.strip():
            entries.append(json.loads(line))
    return entries


class _TextOfHtml(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def body_text(message) -> str:
    """The plain-text body, decoded (base64, quoted-printable, charset); an HTML-only body as its text."""
    try:
        part = message.get_body(preferencelist=("plain",))
        if part is not None:
            return part.get_content().replace("\r\n", "\n")   # SMTP's line ends, as the sender wrote them
        part = message.get_body(preferencelist=("html",))
        if part is not None:
            parser = _TextOfHtml()
            parser.feed(part.get_content())
            return re.sub(r"\n\s*\n+", "\n\n", "".join(parser.parts)).strip()
    except (LookupError, ValueError, UnicodeError) as error:   # an unknown charset, a broken encoding
        return f"(the body cannot be decoded: {type(error).__name__})"
    return ""


@lru_cache(maxsize=4096)   # stored messages never change: decode each once
def _decoded(path: Path) -> tuple[str, str, str]:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    return str(message.get("From", "")), str(message.get("Subject", "")), body_text(message)


def stored_messages(directory: Path, to: str | None = None) -> list[dict]:
    """Every stored message decoded, newest first; `to` keeps those with that envelope recipient."""
    items = []
    for entry in read_index(directory):
        recipients = entry.get("to") or []
        if to and to.lower() not in (r.lower() for r in recipients):
            continue
        try:
            sender, subject, text = _decoded(directory / entry["file"])
        except OSError:   # someone cleaned var/mail by hand: list what is left
            continue
        items.append({"id": entry["file"].removesuffix(".eml"), "from": sender or entry.get("from") or "",
                      "envelope_from": entry.get("from"), "to": recipients,
                      "subject": subject or entry.get("subject") or "", "received_at": entry["received_at"],
                      "message_id": entry.get("message_id"), "text": text})
    items.reverse()
    return items


class MailWebHandler(JsonHandler):
    """The inbox page (`/`, `/mail/`), the JSON listing, the raw messages."""

    standin_name = "smtp-sink"
    routes = {("GET", "/"): "page", ("GET", "/mail"): "page", ("GET", "/mail/"): "page",
              ("GET", "/mail/messages"): "messages", ("GET", "/mail/healthz"): "healthz",
              ("GET", "/mail/control"): "get_control", ("POST", "/mail/control"): "set_control"}

    def resolve(self, method, path):
        found = super().resolve(method, path)
        if found is None and method == "GET" and path.startswith("/mail/messages/") and path.endswith(".eml"):
            return "raw", {"message_id": path[len("/mail/messages/"):-len(".eml")]}
        return found

    def serves_path(self, path):
        return super().serves_path(path) or path.startswith("/mail/messages/")

    def messages(self):
        items = stored_messages(self.server.directory, self.query_value("to"))
        return 200, {"items": items, "count": len(items)}

    def page(self):
        to = self.query_value("to")
        items = stored_messages(self.server.directory, to)
        return 200, inbox.page(
            title="HGRIP 邮件收件箱 · Mail inbox", noun=("封", "message"), total=len(items),
            intro=("本机的邮件接收器收到的每一封邮件（验证码邮件等），不会真正投递。"
                   " Every message the platform sent to the local SMTP sink; nothing is delivered."),
            filter_name="to", filter_label="收件人 · To", filter_value=to,
            articles=[self._article(item) for item in items])

    @staticmethod
    def _article(item: dict) -> str:
        rows = [("发件人 · From", escape(item["from"])),
                ("收件人 · To", escape(", ".join(item["to"]))),
                ("时间 · Received", inbox.received(item["received_at"]))]
        return inbox.article(
            item["id"], rows, item["text"],
            heading=f'<h2>{escape(item["subject"]) or "(无主题 · no subject)"}</h2>',
            footer=f'<a href="/mail/messages/{escape(item["id"])}.eml">原始邮件 · Raw message</a>')

    def raw(self, message_id):
        path = self.server.directory / f"{message_id}.eml"
        if not MESSAGE_ID.fullmatch(message_id) or not path.is_file():
            raise BadRequest("not_found", f"no message {message_id}", 404)
        # As text, so a browser shows the source instead of offering a download.
        return 200, Response(path.read_bytes(), "text/plain; charset=utf-8", inbox.PAGE_HEADERS)

    def healthz(self):
        return 200, {"status": "ok", "directory": str(self.server.directory)}

    def get_control(self):
        return 200, self.server.delivery.snapshot()

    def set_control(self):
        state = self.server.delivery.set(self.json_body())
        log(self.standin_name, f"control: {state}")
        return 200, state


def create_web_server(host: str = "127.0.0.1", port: int = 8027, directory: Path | None = None,
                      delivery: Availability | None = None):
    """``delivery``: the SMTP handler's, so /mail/control switches what the SMTP side does."""
    directory = directory or var_path("mail")
    directory.mkdir(parents=True, exist_ok=True)
    return make_server(MailWebHandler, host, port, directory=directory, delivery=delivery or Availability(MODES))


def main() -> None:
    host, port = address_from_env("HGRIP_SMTP_ADDRESS", DEFAULT_ADDRESS)
    web_host, web_port = address_from_env("HGRIP_MAIL_WEB_ADDRESS", DEFAULT_WEB_ADDRESS)
    controller = create_controller(host, port)
    try:
        web = create_web_server(web_host, web_port, controller.handler.directory, controller.handler.delivery)
    except OSError as error:
        if os.environ.get("HGRIP_MAIL_WEB_ADDRESS"):
            raise   # an address asked for explicitly must be served
        # Only the default was in the way (another sink, e.g. `make run`, has it): mail still goes to disk.
        log("smtp-sink", f"no inbox page: {web_host}:{web_port} unavailable ({error.strerror}); "
                         "set HGRIP_MAIL_WEB_ADDRESS for one")
        web = None

    def start():
        controller.start()
        log("smtp-sink", f"listening on smtp://{host}:{port}, writing to {controller.handler.directory}")
        if web is not None:
            start_in_thread(web)
            log("smtp-sink", f"inbox page on http://{web_host}:{web.server_address[1]}/")

    def stop():
        if web is not None:
            web.shutdown()
        controller.stop()

    run_until_signalled(start, stop, "smtp-sink")


if __name__ == "__main__":
    main()
