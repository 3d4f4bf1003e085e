"""How the service gets its clock, its repository client, its mailer and its SMS client (from the
nameko config).

Config: ``REPOSITORIES_URL`` (default http://127.0.0.1:8040), ``REPOSITORIES_TIMEOUT`` (5 s),
``SMTP_HOST`` / ``SMTP_PORT`` (127.0.0.1 / 8025), ``MAIL_FROM`` (hgrip@localhost), ``SMTP_TIMEOUT`` (5 s),
``SMS_URL`` (http://127.0.0.1:8026), ``SMS_TIMEOUT`` (5 s), ``SMS_SENDER`` (HGRIP).
"""
from datetime import timedelta

from nameko.extensions import DependencyProvider

from hgrip_kernel.envelope import utcnow

from ..adapters.mailer import SmtpMailer
from ..adapters.repositories import HttpRepositoryClient
from ..adapters.sms import DEFAULT_SMS_URL, SmsClient

DEFAULT_REPOSITORIES_URL = "http://127.0.0.1:8040"


class Clock(DependencyProvider):
    """``self.clock()`` is the service's "now". Code expiry depends on it, so tests move it:
    ``get_extension(container, Clock).offset = timedelta(hours=48)``. Production never sets it."""

    def setup(self):
        self.offset = timedelta(0)

    def now(self):
        return utcnow() + self.offset

    def get_dependency(self, worker_ctx):
        return self.now


class RepositoryClientProvider(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.client = HttpRepositoryClient(config.get("REPOSITORIES_URL") or DEFAULT_REPOSITORIES_URL,
                                           timeout=float(config.get("REPOSITORIES_TIMEOUT", 5)))

    def get_dependency(self, worker_ctx):
        return self.client


class MailerProvider(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.mailer = SmtpMailer(host=config.get("SMTP_HOST") or "127.0.0.1",
                                 port=int(config.get("SMTP_PORT") or 8025),
                                 sender=config.get("MAIL_FROM") or "hgrip@localhost",
                                 # Under the gateway's 10 s RPC time-out: a hanging relay is
                                 # answered mail_unavailable, not a generic time-out.
                                 timeout=float(config.get("SMTP_TIMEOUT", 5)))

    def get_dependency(self, worker_ctx):
        return self.mailer


class SmsClientProvider(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.client = SmsClient(config.get("SMS_URL") or DEFAULT_SMS_URL,
                                timeout=float(config.get("SMS_TIMEOUT", 5)),
                                    sender=config.get("SMS_SENDER") or "HGRIP")

    def get_dependency(self, worker_ctx):
        return self.client
