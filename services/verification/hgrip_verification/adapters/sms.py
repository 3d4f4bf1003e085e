"""The ``SmsGateway`` port: sends text messages through an HTTP SMS gateway speaking docs/protocols/sms-sink.md
(``POST {base_url}/sms/send {mobile, text, sender}`` → 201): the SMS sink locally, the production
gateway (or an adapter in front of it) elsewhere; the same code talks to both. No retries here.

A failure surfaces as SmsNotSent; the caller records nothing then, so the user may try again at once.
Neither the mobile nor the text (which holds the code) ever appears in an SmsNotSent reason.
"""
import requests

from ..app.ports import SmsNotSent
from .repositories import error_code

DEFAULT_SMS_URL = "http://127.0.0.1:8026"


class SmsClient:
    def __init__(self, base_url: str = DEFAULT_SMS_URL, timeout: float = 5.0, sender: str = "HGRIP"):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout   # seconds to connect, and again to read the answer
        self.sender = sender
        self._session = requests.Session()

    def send(self, mobile: str, text: str, request_id: str | None = None) -> str:
        """Send one message; returns the gateway's message id, raises SmsNotSent."""
        headers = {"Accept": "application/json"}
        if request_id:
            headers["X-Request-Id"] = request_id   # lets the gateway's record be traced to the request
        try:
            answer = self._session.post(f"{self.base_url}/sms/send", timeout=self.timeout, headers=headers,
                                        json={"mobile": mobile, "text": text, "sender": self.sender})
        except requests.RequestException as exc:
            raise SmsNotSent(f"no answer: {type(exc).__name__}") from None
        if answer.status_code != 201:
            raise SmsNotSent(f"HTTP {answer.status_code} {_error_code(answer) or ''}".strip())
        try:
            body = answer.json()
        except ValueError:
            raise SmsNotSent("answer is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise SmsNotSent("answer has no message id")
        return body["id"]


def _error_code(answer: requests.Response) -> str | None:
    code = error_code(answer)
    # Only a short, code-like word: a gateway's free text might echo what it was sent.
    return code if isinstance(code, str) and code.isidentifier() and len(code) <= 64 else None
