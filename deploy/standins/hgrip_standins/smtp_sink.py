"""SMTP sink: accepts every message over real SMTP and stores it as an .eml file instead of relaying it.

Protocol: docs/protocols/smtp-sink.md. Address from HGRIP_SMTP_ADDRESS (default 127.0.0.1:8025),
messages under $HGRIP_VAR/mail/ with one `index.jsonl` line per message.
"""
import json
import threading
import uuid
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

from hgrip_kernel.masking import mask_email
from hgrip_standins.common import address_from_env, file_stamp, iso, log, run_until_signalled, utc_now, var_path

DEFAULT_ADDRESS = "127.0.0.1:8025"


class MailboxHandler:
    """aiosmtpd handler: one .eml per message (the bytes as received) plus an index line."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
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
    index = directory / "index.jsonl"
    if not index.exists():
        return []
    return [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    host, port = address_from_env("HGRIP_SMTP_ADDRESS", DEFAULT_ADDRESS)
    controller = create_controller(host, port)

    def start():
        controller.start()
        log("smtp-sink", f"listening on smtp://{host}:{port}, writing to {controller.handler.directory}")

    run_until_signalled(start, controller.stop, "smtp-sink")


if __name__ == "__main__":
    main()
