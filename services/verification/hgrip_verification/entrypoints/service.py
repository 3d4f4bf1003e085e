"""The verification nameko service: does a dataset belong to an account, the e-mail codes that let
its owner authorise a backup to use it (docs/backup-lifecycle.md, "Verification RPC"), and the SMS
codes with which a natural person proves an old mobile when claiming legacy backups.

Thin: each RPC validates its arguments (``schemas.py``), calls its use case (``app/``) and returns
the answer. A code exists only in memory and in the mail or text message: the database keeps an HMAC,
events keep the expiry, logs keep neither. The clear mobile is kept nowhere (events and answers mask it).
"""
from nameko.dependency_providers import Config
from nameko.rpc import rpc

from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import (
    EventStoreProvider,
    PeerProxy,
    RequestContext,
    RetiredQueues,
    event_consumer,
    refusing_rpc,
)

from ..adapters.accounts import IdentityAccounts
from ..adapters.backups import BackupsFacts
from ..adapters.notices import SqlNoticeRecords
from ..adapters.read_models import MailCodeRecords, SmsCodeRecords
from ..adapters.send_guard import AdvisoryLockGuard
from ..app import datasets, mail_codes, notices, sms_codes
from ..app.ports import NoticeSettings, Ports
from .dependencies import Clock, MailerProvider, RepositoryClientProvider, SmsClientProvider
from .schemas import (
    CheckDatasetSchema,
    SendCodeSchema,
    SendSmsCodeSchema,
    VerifyCodeSchema,
    VerifySmsCodeSchema,
    load,
)

SEND_GUARD = AdvisoryLockGuard()
MAIL_CODE_RECORDS = MailCodeRecords()
SMS_CODE_RECORDS = SmsCodeRecords()
NOTICE_RECORDS = SqlNoticeRecords()
DEFAULT_GATEWAY = "127.0.0.1:8000"   # the links' base without PLATFORM_URL: the gateway (it serves the web app)


class VerificationService:
    name = "verification"

    store = EventStoreProvider()
    ctx = RequestContext()
    config = Config()
    clock = Clock()
    repositories = RepositoryClientProvider()
    mailer = MailerProvider()
    sms = SmsClientProvider()
    identity = PeerProxy("identity")
    backups = PeerProxy("backups")
    # It consumed every BackupSubmitted for a copy of each backup; notices now ask backups instead.
    retired = RetiredQueues("verification.on_backup_submitted")

    @rpc
    def health(self):
        return health_report(self.name, self.store)

    @refusing_rpc
    def check_dataset(self, repository, accession, submission_account):
        data = load(CheckDatasetSchema, {"repository": repository, "accession": accession,
                                         "submission_account": submission_account})
        return datasets.check_dataset(self._ports(), self.ctx, data["repository"], data["accession"],
                                      data["submission_account"])

    # --- e-mail codes (dataset authorisation) ---------------------------------------------------
    @refusing_rpc
    def send_code(self, payload):
        return mail_codes.send_code(self._ports(), self.ctx, load(SendCodeSchema, payload))

    @refusing_rpc
    def verify_code(self, file_id, code):
        data = load(VerifyCodeSchema, {"file_id": file_id, "code": code})
        return mail_codes.verify_code(self._ports(), self.ctx, data["file_id"], data["code"])

    # --- SMS codes (legacy-backup claims) -------------------------------------------------------
    @refusing_rpc
    def send_sms_code(self, payload):
        return sms_codes.send_sms_code(self._ports(), self.ctx, load(SendSmsCodeSchema, payload))

    @refusing_rpc
    def verify_sms_code(self, purpose, subject, code):
        data = load(VerifySmsCodeSchema, {"purpose": purpose, "subject": subject, "code": code})
        return sms_codes.verify_sms_code(self._ports(), self.ctx, data["purpose"], data["subject"],
                                         data["code"])

    # --- notices: mail that tells people what happened to their backups (app/notices.py) ---------
    @event_consumer("backups", "BackupDelegated")
    def on_backup_delegated(self, envelope):
        notices.backup_delegated(self._ports(), self.ctx, envelope)

    @event_consumer("backups", "BackupClaimed")
    def on_backup_claimed(self, envelope):
        notices.backup_claimed(self._ports(), self.ctx, envelope)

    @event_consumer("backups", "FilingLinked")
    def on_filing_linked(self, envelope):
        notices.filing_linked(self._ports(), self.ctx, envelope)

    @event_consumer("registry-sync", "BackupSyncOverdue")
    def on_backup_sync_overdue(self, envelope):
        notices.sync_overdue(self._ports(), self.ctx, envelope)

    # --- wiring ---------------------------------------------------------------------------------
    def _ports(self) -> Ports:
        return Ports(store=self.store, send_guard=SEND_GUARD, mail_codes=MAIL_CODE_RECORDS,
                     sms_codes=SMS_CODE_RECORDS, repositories=self.repositories, mailer=self.mailer, sms=self.sms,
                     clock=self.clock, secret=self.config["TOKEN_SECRET"],
                     accounts=IdentityAccounts(self.identity), backups=BackupsFacts(self.backups),
                     notices=NOTICE_RECORDS,
                     notice_settings=NoticeSettings(
                         platform_url=self.config.get("PLATFORM_URL")
                         or f"http://{self.config.get('WEB_SERVER_ADDRESS') or DEFAULT_GATEWAY}"))
