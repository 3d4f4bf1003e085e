"""The verification nameko service: does a dataset belong to an account, the e-mail codes that let
its owner authorise a backup to use it (docs/backup-lifecycle.md, "Verification RPC"), and the SMS
codes with which a natural person proves an old mobile when claiming legacy backups.

A code exists only in memory and in the mail or text message: the database keeps an HMAC, events
keep the expiry, logs keep neither. The clear mobile is kept nowhere (events and answers mask it).
"""
from nameko.dependency_providers import Config
from nameko.rpc import rpc

from hgrip_kernel.errors import DomainError
from hgrip_kernel.health import health_report
from hgrip_kernel.masking import mask_email, mask_mobile
from hgrip_kernel.nameko import EventStoreProvider, RequestContext

from . import projections, send_guard
from .dependencies import Clock, MailerProvider, RepositoryClientProvider, SmsClientProvider
from .domain import (
    SmsCodeRequest,
    VerificationRequest,
    accession_is_well_formed,
    check_ownership,
    code_matches,
    compose_code_mail,
    compose_sms_text,
    hash_code,
    new_code,
    refusals,
    request_stream_id,
    sms_hash_scope,
    sms_stream_id,
)
from .domain.issued_code import iso as _iso
from .domain.request import DatasetRef
from .mailer import MailNotSent
from .repositories import RepositoryUnavailable
from .schemas import (
    CheckDatasetSchema,
    SendCodeSchema,
    SendSmsCodeSchema,
    VerifyCodeSchema,
    VerifySmsCodeSchema,
    load,
)
from .sms import SmsNotSent

WRITE_ATTEMPTS = 3   # verify_code and verify_sms_code reload and retries on a lost optimistic-concurrency race

# Refusals are answers, not faults: nameko logs them as warnings rather than errors.
refusing_rpc = rpc(expected_exceptions=DomainError)


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
        dataset = None
        # A malformed accession cannot exist there: no need to ask.
        if accession_is_well_formed(data["repository"], data["accession"]):
            dataset = self._find_dataset(data["repository"], data["accession"])
        try:
            check_ownership(dataset, data["submission_account"])
        except DomainError:
            self.ctx.log.info("dataset_check_refused", repository=data["repository"],
                              accession=data["accession"], known=dataset is not None)
            raise
        self.ctx.log.info("dataset_checked", repository=data["repository"], accession=data["accession"])
        return {"repository": data["repository"], "accession": data["accession"], "submitter_matches": True}

    # --- e-mail codes (dataset authorisation) ---------------------------------------------------
    @refusing_rpc
    def send_code(self, payload):
        data = load(SendCodeSchema, payload)
        dataset = DatasetRef(data["file_id"], data["backup_id"], data["repository"], data["accession"],
                             data["submission_account"])

        def deliver(code, now):
            mail = compose_code_mail(to=dataset.submission_account, code=code,
                                     requester_name=data["requester_name"],
                                     project_name=data["project_name"], repository=dataset.repository,
                                     accession=dataset.accession, issued_at=now)
            try:
                self.mailer.send(mail.to, mail.subject, mail.text)
            except MailNotSent as exc:
                self.ctx.log.warning("verification_mail_failed", file_id=dataset.file_id, reason=str(exc))
                raise refusals.mail_unavailable() from None

        request = self._send_new_code(VerificationRequest, request_stream_id(dataset.file_id), dataset.file_id,
                                      deliver, lambda request, now: request.issue(dataset, now),
                                      projections.record_issued)
        self.ctx.log.info("verification_code_sent", file_id=dataset.file_id, backup_id=dataset.backup_id,
                          submission_account=dataset.submission_account, expires_at=_iso(request.expires_at))
        return {"sent_to": mask_email(dataset.submission_account), "expires_at": _iso(request.expires_at),
                "resend_available_at": _iso(request.resend_available_at())}

    @refusing_rpc
    def verify_code(self, file_id, code):
        data = load(VerifyCodeSchema, {"file_id": file_id, "code": code})
        file_id = data["file_id"]
        request, refusal = self._check_code(VerificationRequest, request_stream_id(file_id), file_id, data["code"],
                                            lambda connection: projections.find(connection, file_id),
                                            projections.record_state)
        if refusal is not None:
            self.ctx.log.info("verification_code_rejected", file_id=file_id, failures=request.failures,
                              locked=request.locked)
            raise refusal
        self.ctx.log.info("dataset_verified", file_id=file_id, repository=request.dataset.repository,
                          accession=request.dataset.accession)
        return request.verified_result()

    # --- SMS codes (legacy-backup claims) -------------------------------------------------------
    @refusing_rpc
    def send_sms_code(self, payload):
        data = load(SendSmsCodeSchema, payload)
        purpose, subject, mobile = data["purpose"], data["subject"], data["mobile"]

        def deliver(code, now):
            text = compose_sms_text(purpose=purpose, code=code, requester_name=data["requester_name"])
            try:
                self.sms.send(mobile, text, request_id=self.ctx.correlation_id)
            except SmsNotSent as exc:
                self.ctx.log.warning("sms_code_send_failed", purpose=purpose, subject=subject,
                                     sent_to=mask_mobile(mobile), reason=str(exc))
                raise refusals.sms_unavailable() from None

        request = self._send_new_code(SmsCodeRequest, sms_stream_id(purpose, subject),
                                      sms_hash_scope(purpose, subject), deliver,
                                      lambda request, now: request.issue(purpose, subject, mobile, now),
                                      projections.record_sms_sent)
        self.ctx.log.info("sms_code_sent", purpose=purpose, subject=subject, sent_to=request.sent_to,
                          expires_at=_iso(request.expires_at))
        return request.sent_result()

    @refusing_rpc
    def verify_sms_code(self, purpose, subject, code):
        data = load(VerifySmsCodeSchema, {"purpose": purpose, "subject": subject, "code": code})
        purpose, subject = data["purpose"], data["subject"]
        request, refusal = self._check_code(SmsCodeRequest, sms_stream_id(purpose, subject),
                                            sms_hash_scope(purpose, subject), data["code"],
                                            lambda connection: projections.find_sms(connection, purpose, subject),
                                            projections.record_sms_state)
        if refusal is not None:
            self.ctx.log.info("sms_code_rejected", purpose=purpose, subject=subject, failures=request.failures,
                              locked=request.locked)
            raise refusal
        self.ctx.log.info("sms_code_verified", purpose=purpose, subject=subject, sent_to=request.sent_to)
        return request.verified_result()

    # --- helpers ------------------------------------------------------------------------------
    def _send_new_code(self, aggregate_cls, stream_id, scope, deliver, issue, record):
        """Check → send → record, in one transaction: if the sending fails (``deliver`` raises), the
        rollback leaves no trace, so the user may retry at once; if it succeeds, the code is recorded
        with it. ``scope`` keys the send lock and the code's HMAC."""
        now = self.clock()
        with self.store.unit_of_work(correlation_id=self.ctx.correlation_id,
                                     causation_id=self.ctx.causation_id) as uow:
            # Claimed before loading: once we hold it, no other send for this scope is in flight.
            if not send_guard.try_claim(uow.connection, scope):
                raise aggregate_cls.refuse_concurrent_send(now)
            request = uow.load(aggregate_cls, stream_id) or aggregate_cls(stream_id)
            request.check_may_send(now)
            code = new_code()
            deliver(code, now)
            issue(request, now)
            uow.save(request)
            record(uow.connection, request, hash_code(self._secret(), scope, code))
        return request

    def _check_code(self, aggregate_cls, stream_id, scope, code, find_row, record_state):
        """``(request, refusal)``: the code checked against the stored HMAC and the outcome recorded;
        a refusal that changed something is returned (raise it), one that changed nothing is raised."""
        now = self.clock()

        def work(uow):
            request = uow.load(aggregate_cls, stream_id)
            if request is None:
                raise aggregate_cls.refusals.not_requested()
            row = find_row(uow.connection)
            refusal = request.verify(code_matches(self._secret(), scope, code, row.code_hash if row else None),
                                     now)
            if request.pending:
                uow.save(request)
                record_state(uow.connection, request)
            return request, refusal

        return self._write(work)

    def _find_dataset(self, repository, accession):
        try:
            return self.repositories.find_dataset(repository, accession)
        except RepositoryUnavailable as exc:
            self.ctx.log.warning("repository_unavailable", repository=repository, reason=exc.reason)
            raise refusals.repository_unavailable(repository) from None

    def _secret(self) -> str:
        return self.config["TOKEN_SECRET"]

    def _write(self, work):
        """Run ``work(uow)`` in a unit of work; on a lost race reload and run it again."""
        return self.store.write(work, attempts=WRITE_ATTEMPTS, correlation_id=self.ctx.correlation_id,
                                causation_id=self.ctx.causation_id)
