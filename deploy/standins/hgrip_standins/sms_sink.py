"""SMS sink: an HTTP "SMS gateway" that stores every message as a JSON file instead of sending it.

Protocol: docs/protocols/sms-sink.md. Address from HGRIP_SMS_ADDRESS (default 127.0.0.1:8026),
messages under $HGRIP_VAR/sms/; an inbox page of them at `/`. `POST /sms/control` makes it refuse
(503) or answer late, for fault tests.
"""
import json
import re
import time
import uuid
from html import escape

from hgrip_kernel.masking import mask_mobile
from hgrip_standins import inbox
from hgrip_standins.common import (
    BadRequest,
    JsonHandler,
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

DEFAULT_ADDRESS = "127.0.0.1:8026"
MOBILE = re.compile(r"1[3-9]\d{9}")   # a mainland-China mobile number, no country code
MAX_TEXT = 1000
MODES = ("ok", "down", "slow")   # /sms/send: stores; refused with 503, nothing stored; stores after delay_ms


class SmsHandler(JsonHandler):
    standin_name = "sms-sink"
    routes = {
        ("POST", "/sms/send"): "send",
        ("GET", "/sms/messages"): "messages",
        ("GET", "/sms/healthz"): "healthz",
        ("GET", "/sms/control"): "get_control",
        ("POST", "/sms/control"): "set_control",
        ("GET", "/"): "page",
        ("GET", "/sms"): "page",
        ("GET", "/sms/"): "page",
    }

    def send(self):
        control = self.server.availability.snapshot()
        if control["mode"] == "down":
            raise BadRequest("unavailable", "the SMS sink is down (control mode)", 503)
        if control["mode"] == "slow":
            time.sleep(control["delay_ms"] / 1000)
        payload = self.json_body()
        mobile, text, sender = payload.get("mobile"), payload.get("text"), payload.get("sender")
        if not isinstance(mobile, str) or not MOBILE.fullmatch(mobile):
            raise BadRequest("invalid_mobile", "mobile must be an 11-digit mainland-China mobile number (1[3-9]\\d{9})")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise BadRequest("invalid_text", f"text must be a non-empty string of at most {MAX_TEXT} characters")
        if sender is not None and not isinstance(sender, str):
            raise BadRequest("invalid_sender", "sender must be a string when given")
        now = utc_now()
        message = {"id": uuid.uuid4().hex, "mobile": mobile, "text": text, "sender": sender,
                   "received_at": iso(now), "request_id": self.headers.get("X-Request-Id")}
        path = self.server.directory / f"{file_stamp(now)}-{message['id']}.json"
        # Write then rename, so a reader polling the directory never sees half a file.
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(message, ensure_ascii=False, indent=1), encoding="utf-8")
        temporary.replace(path)
        log(self.standin_name, f"stored {path.name} for {mask_mobile(mobile)}")
        return 201, {"id": message["id"], "received_at": message["received_at"]}

    def stored(self, mobile: str | None) -> list[dict]:
        """Every stored message, oldest first (file names sort by arrival)."""
        items = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.server.directory.glob("*.json"))]
        return [item for item in items if item["mobile"] == mobile] if mobile else items

    def messages(self):
        items = self.stored(self.query_value("mobile"))
        return 200, {"items": items, "count": len(items)}

    def page(self):
        mobile = self.query_value("mobile")
        items = self.stored(mobile)[::-1]   # the page shows the newest first
        return 200, inbox.page(
            title="HGRIP 短信收件箱 · SMS inbox", noun=("条", "message"), total=len(items),
            intro=("本机的短信网关收到的每一条短信（认领验证码等），不会真正发送。"
                   " Every text message the platform sent to the local SMS sink; nothing is sent."),
            filter_name="mobile", filter_label="手机号 · Mobile", filter_value=mobile,
            articles=[self._article(item) for item in items])

    @staticmethod
    def _article(item: dict) -> str:
        rows = [("手机号 · Mobile", escape(item["mobile"])),
                ("时间 · Received", inbox.received(item["received_at"]))]
        if item.get("sender"):
            rows.append(("签名 · Sender", escape(item["sender"])))
        return inbox.article(item["id"], rows, item["text"])

    def healthz(self):
        return 200, {"status": "ok", "directory": str(self.server.directory)}

    def get_control(self):
        return 200, self.server.availability.snapshot()

    def set_control(self):
        state = self.server.availability.set(self.json_body())
        log(self.standin_name, f"control: {state}")
        return 200, state


def create_server(host: str = "127.0.0.1", port: int = 8026, directory=None):
    directory = directory or var_path("sms")
    directory.mkdir(parents=True, exist_ok=True)
    return make_server(SmsHandler, host, port, directory=directory, availability=Availability(MODES))


def main() -> None:
    host, port = address_from_env("HGRIP_SMS_ADDRESS", DEFAULT_ADDRESS)
    server = create_server(host, port)

    def start():
        start_in_thread(server)
        log("sms-sink", f"listening on http://{host}:{server.server_address[1]}, writing to {server.directory}")

    run_until_signalled(start, server.shutdown, "sms-sink")


if __name__ == "__main__":
    main()
