"""The verification nameko service: does a dataset belong to an account, and the e-mail codes that
let its owner authorise a backup to use it (docs/backup-lifecycle.md, "Verification RPC").

The code itself exists only in memory and in the mail: the database keeps an HMAC, events keep
the expiry, logs keep neither.
"""
from datetime import timezone

from hgrip_kernel.errors import DomainError
from hgrip_kernel.health import health_report
from hgrip_kernel.masking import mask_email
from hgrip_kernel.nameko import EventStoreProvider, RequestContext
from nameko.dependency_providers import Config
from nameko.rpc import rpc

from . import projections, send_guard
from .dependencies import Clock, MailerProvider, RepositoryClientProvider
from .domain import (
    RESEND_INTERVAL,
    VerificationRequest,
    accession_is_well_formed,
    check_ownership,
    code_matches,
    compose_code_mail,
    hash_code,
    new_code,
    refusals,
    request_stream_id,
)
from .domain.request import DatasetRef
from .mailer import MailNotSent
from .repositories import RepositoryUnavailable
from .schemas import CheckDatasetSchema, SendCodeSchema, VerifyCodeSchema, load

WRITE_ATTEMPTS = 3   # verify_code reloads and retries on a lost optimistic-concurrency race

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

    @refusing_rpc
    def send_code(self, payload):
        data = load(SendCodeSchema, payload)
        dataset = DatasetRef(data["file_id"], data["backup_id"], data["repository"], data["accession"],
                             data["submission_account"])
        now = self.clock()
        # One transaction around check → mail → record: if the mail fails, the rollback leaves no
        # trace, so the user may retry at once; if it succeeds, the code is recorded with it.
        with self.store.unit_of_work(correlation_id=self.ctx.correlation_id,
                                     causation_id=self.ctx.causation_id) as uow:
            if not send_guard.try_claim(uow.connection, dataset.file_id):
                # Another instance is sending a code for this file right now.
                raise refusals.code_resend_too_soon(int(RESEND_INTERVAL.total_seconds()),
                                                    _iso(now + RESEND_INTERVAL))
            stream_id = request_stream_id(dataset.file_id)
            request = uow.load(VerificationRequest, stream_id) or VerificationRequest(stream_id)
            request.check_may_send(now)
            code = new_code()
            mail = compose_code_mail(to=dataset.submission_account, code=code,
                                     requester_name=data["requester_name"],
                                     project_name=data["project_name"], repository=dataset.repository,
                                     accession=dataset.accession, issued_at=now)
            try:
                self.mailer.send(mail.to, mail.subject, mail.text)
            except MailNotSent as exc:
                self.ctx.log.warning("verification_mail_failed", file_id=dataset.file_id, reason=str(exc))
                raise refusals.mail_unavailable() from None
            request.issue(dataset, now)
            uow.save(request)
            projections.record_issued(uow.connection, request,
                                      hash_code(self._secret(), dataset.file_id, code))
        self.ctx.log.info("verification_code_sent", file_id=dataset.file_id, backup_id=dataset.backup_id,
                          submission_account=dataset.submission_account, expires_at=_iso(request.expires_at))
        return {"sent_to": mask_email(dataset.submission_account), "expires_at": _iso(request.expires_at),
                "resend_available_at": _iso(request.resend_available_at())}

    @refusing_rpc
    def verify_code(self, file_id, code):
        data = load(VerifyCodeSchema, {"file_id": file_id, "code": code})
        file_id = data["file_id"]
        now = self.clock()

        def work(uow):
            request = uow.load(VerificationRequest, request_stream_id(file_id))
            if request is None:
                raise refusals.verification_code_not_requested()
            row = projections.find(uow.connection, file_id)
            matches = code_matches(self._secret(), file_id, data["code"], row.code_hash if row else None)
            refusal = request.verify(matches, now)
            if request.pending:
                uow.save(request)
                projections.record_state(uow.connection, request)
            return request, refusal

        request, refusal = self._write(work)
        if refusal is not None:
            self.ctx.log.info("verification_code_rejected", file_id=file_id, failures=request.failures,
                              locked=request.locked)
            raise refusal
        self.ctx.log.info("dataset_verified", file_id=file_id, repository=request.dataset.repository,
                          accession=request.dataset.accession)
        return request.verified_result()

    # --- helpers ------------------------------------------------------------------------------
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


def _iso(moment) -> str:
    return moment.astimezone(timezone.utc).isoformat()
