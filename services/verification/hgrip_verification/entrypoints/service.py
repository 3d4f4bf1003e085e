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
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, refusing_rpc

from ..adapters.read_models import MailCodeRecords, SmsCodeRecords
from ..adapters.send_guard import AdvisoryLockGuard
from ..app import datasets, mail_codes, sms_codes
from ..app.ports import Ports
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


class VerificationService:
    name = "verification"

    store = EventStoreProvider()
    ctx = RequestContext()
    config = Config()
    clock = Clock()
    repositories = RepositoryClientProvider()
    mailer = MailerProvider()
    sms = SmsClientProvider()

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

    # --- wiring ---------------------------------------------------------------------------------
    def _ports(self) -> Ports:
        return Ports(store=self.store, send_guard=SEND_GUARD, mail_codes=MAIL_CODE_RECORDS,
                     sms_codes=SMS_CODE_RECORDS, repositories=self.repositories, mailer=self.mailer, sms=self.sms,
                     clock=self.clock, secret=self.config["TOKEN_SECRET"])
