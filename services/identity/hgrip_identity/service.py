"""The identity nameko service: HGRG provisioning, login, token checks.

argon2 work happens outside units of work: it is slow by design, and a transaction (on SQLite
the process-wide writer lock) should not be held while it runs.
"""
from datetime import UTC

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from hgrip_kernel.envelope import utcnow
from hgrip_kernel.errors import DomainError
from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, RequestContext

from . import passwords, refusals, tokens
from .domain import (
    Account,
    Institution,
    LockoutPolicy,
    account_id_for,
    account_stream_id,
    institution_stream_id,
    is_locked,
)
from .domain.roles import check_membership, check_placement
from .projections import (
    find_account,
    institution_units,
    password_hash,
    project_account,
    project_institution,
    set_password_hash,
)
from .schemas import (
    AccountIdSchema,
    AccountPayloadSchema,
    InstitutionPayloadSchema,
    LoginSchema,
    TokenSchema,
    load,
)
from .views import account_view, institution_view

HGRG_ACTOR = "hgrg"            # provisioning calls come from HGRG through the gateway
WRITE_ATTEMPTS = 3             # reload-and-retry on a lost optimistic-concurrency race

# Refusals are answers, not faults: nameko logs them as warnings rather than errors.
refusing_rpc = rpc(expected_exceptions=DomainError)


class IdentityService:
    name = "identity"

    store = EventStoreProvider()
    ctx = RequestContext()
    config = Config()

    @rpc
    def health(self):
        return health_report(self.name, self.store)

    # --- provisioning from HGRG ---------------------------------------------------------------
    @refusing_rpc
    def upsert_institution(self, payload):
        data = load(InstitutionPayloadSchema, payload)

        def work(uow):
            stream_id = institution_stream_id(data["code"])
            institution = uow.load(Institution, stream_id) or Institution(stream_id)
            changed = institution.upsert(data["code"], data["name"], data["foreign"], data["units"])
            if changed:
                uow.save(institution)
                project_institution(uow.connection, institution)
            return institution, changed

        institution, changed = self._write(HGRG_ACTOR, work)
        self.ctx.log.info("institution_upserted", institution=institution.code, changed=changed,
                          version=institution.version)
        return {"institution": institution_view(institution), "changed": changed}

    @refusing_rpc
    def upsert_account(self, payload):
        data = load(AccountPayloadSchema, payload)
        password = data.pop("password")
        if data["authorised_at"] is not None:
            data["authorised_at"] = data["authorised_at"].astimezone(UTC).isoformat()
        check_placement(data["role"], data["institution"], data["unit"])
        account_id = account_id_for(data["username"])
        new_hash = self._new_password_hash(account_id, password) if password is not None else None
        now = utcnow()

        def work(uow):
            units = institution_units(uow.connection, data["institution"]) if data["institution"] else None
            check_membership(data["institution"], data["unit"], units)
            stream_id = account_stream_id(account_id)
            account = uow.load(Account, stream_id) or Account(stream_id)
            changed = account.provision(data, now)
            if new_hash is not None:
                account.password_set()  # the event says that it changed, never what it is
            if account.pending:
                uow.save(account)
                project_account(uow.connection, account)
            if new_hash is not None:
                set_password_hash(uow.connection, account_id, new_hash)
            return changed or new_hash is not None

        changed = self._write(HGRG_ACTOR, work)
        self.ctx.log.info("account_upserted", account_id=account_id, changed=changed,
                          password_changed=new_hash is not None)
        return {"account": self._account(account_id), "changed": changed}

    def _new_password_hash(self, account_id, password):
        """A fresh argon2id hash, or None when the stored one already matches (a repeat delivery)."""
        with self.store.engine.connect() as connection:
            current = password_hash(connection, account_id)
        if current is not None and passwords.verify_password(current, password) \
                and not passwords.needs_rehash(current):
            return None
        return passwords.hash_password(password)

    # --- login and tokens ---------------------------------------------------------------------
    @refusing_rpc
    def login(self, username, password):
        data = load(LoginSchema, {"username": username, "password": password})
        now = utcnow()
        with self.store.engine.connect() as connection:
            row = find_account(connection, username=data["username"])
            stored_hash = password_hash(connection, row.id) if row is not None else None
        if row is not None and is_locked(row.locked_until, now):
            # Refused before checking the password: a locked account cannot be probed.
            self.ctx.log.info("login_refused_locked", account_id=row.id)
            raise refusals.account_locked(row.locked_until)
        password_ok = passwords.verify_password(stored_hash, data["password"])  # dummy hash if no user
        if row is None:
            self.ctx.log.info("login_failed", reason="unknown_user")
            raise refusals.invalid_credentials()
        outcome, locked_until = self._write(row.id, lambda uow: self._record_login(uow, row.id, password_ok, now))
        if outcome == "locked":  # locked by a concurrent attempt since we looked
            raise refusals.account_locked(locked_until)
        if outcome == "failed":
            self.ctx.log.info("login_failed", reason="wrong_password", account_id=row.id)
            if locked_until is not None:
                self.ctx.log.warning("account_locked", account_id=row.id, locked_until=locked_until.isoformat())
            # The failure that locks answers like any other: only the next attempt learns of the lock.
            raise refusals.invalid_credentials()
        account = account_view(row)
        ttl = int(self.config.get("TOKEN_TTL_SECONDS", tokens.DEFAULT_TTL_SECONDS))
        token = tokens.issue(self.config["TOKEN_SECRET"], account, ttl_seconds=ttl, now=now)
        self.ctx.log.info("login_succeeded", account_id=row.id)
        return {"access_token": token, "token_type": "bearer", "expires_in": ttl, "account": account}

    def _record_login(self, uow, account_id, password_ok, now):
        account = uow.load(Account, account_stream_id(account_id))
        if account.is_locked(now):  # another attempt locked it since we looked
            return "locked", account.locked_until
        if password_ok:
            account.login_succeeded(now)
            outcome = ("ok", None)
        else:
            outcome = ("failed", account.login_failed(now, LockoutPolicy.from_config(self.config)))
        uow.save(account)
        project_account(uow.connection, account)
        return outcome

    @refusing_rpc
    def authenticate(self, token):
        data = load(TokenSchema, {"token": token})
        try:
            claims = tokens.decode(self.config.get("TOKEN_SECRET", ""), data["token"])
        except tokens.InvalidToken as exc:
            self.ctx.log.info("token_refused", reason=str(exc))
            raise refusals.invalid_token() from None
        with self.store.engine.connect() as connection:
            row = find_account(connection, account_id=str(claims["sub"]))
        if row is None:
            raise refusals.invalid_token()
        if is_locked(row.locked_until, utcnow()):
            raise refusals.account_locked(row.locked_until)
        return account_view(row)

    @refusing_rpc
    def get_account(self, account_id):
        data = load(AccountIdSchema, {"account_id": account_id})
        account = self._account(str(data["account_id"]))
        if account is None:
            raise refusals.account_not_found(str(data["account_id"]))
        return account

    # --- helpers ------------------------------------------------------------------------------
    def _account(self, account_id):
        with self.store.engine.connect() as connection:
            row = find_account(connection, account_id=account_id)
        return account_view(row) if row is not None else None

    def _write(self, actor, work):
        """Run ``work(uow)`` in a unit of work; on a lost race reload and run it again."""
        return self.store.write(work, actor=actor, attempts=WRITE_ATTEMPTS, correlation_id=self.ctx.correlation_id,
                                causation_id=self.ctx.causation_id)
