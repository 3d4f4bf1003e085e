"""The ``Mailer`` port over SMTP: sends mail (the SMTP sink locally, a relay in production), UTF-8 MIME,
no retries here.

A failure surfaces as MailNotSent; the caller records nothing then, so the user may try again at once.
"""
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ..app.ports import MailNotSent


class SmtpMailer:
    def __init__(self, host: str = "127.0.0.1", port: int = 8025, sender: str = "hgrip@localhost",
                 timeout: float = 10.0):
        self.host = host
        self.port = int(port)
        self.sender = sender
        self.timeout = timeout

    def send(self, to: str, subject: str, text: str, key: str | None = None) -> str:
        """Send one plain-text message; returns its Message-ID, raises MailNotSent. With ``key`` (a
        notice's digest) the Message-ID is made from it and the header ``X-HGRIP-Notice-Key`` carries
        it: a copy sent again after a crash is recognisably the same mail."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        domain = self.sender.rpartition("@")[2] or "localhost"
        if key:
            message["Message-ID"] = f"<notice.{key}@{domain}>"
            message["X-HGRIP-Notice-Key"] = key
        else:
            message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(text, charset="utf-8")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            # The reason only: the exception text never holds the message body (hence never the code).
            raise MailNotSent(f"{type(exc).__name__}: {exc}"[:300]) from None
        return message["Message-ID"]
