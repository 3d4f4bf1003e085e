"""The gateway: the one public HTTP door. It authenticates, validates and translates; every
decision about accounts, projects and backups is taken by the service that owns them."""
import functools

from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from hgrip_kernel.errors import NotFound, Unauthorized
from hgrip_kernel.nameko import RequestContext

from . import export, schemas
from . import institution_schemas as inst
from . import operator_schemas as ops
from .accounts import AccountCache
from .auth import SESSION_COOKIE, cleared_session_cookie, request_is_https, session_cookie, session_token
from .cache import CachedValue
from .calls import call, expiring_proxy, gather
from .errors import GatewayError
from .metrics import BrokerGauges
from .openapi import build_openapi
from .routing import HGRG, PUBLIC, Reply, route, routes_of
from .throttle import DEVICE_COOKIE, DEVICE_COOKIE_PATH, DEVICE_DAYS, Throttled, refused, sent, wrong_password
from .web import api
from .webapp import serve_page, web_dist

PREFIX = "/api/v1"
# Name in the health report -> attribute holding the RpcProxy.
HEALTH_CHECKED = {"identity": "identity", "projects": "projects", "backups": "backups",
                  "verification": "verification", "registry-sync": "registry_sync"}
TAXONOMY_TTL = 300.0  # seconds; the taxonomy changes only with a release of backups


def require_operator(account: dict) -> None:
    """The console's routes answer operators only: anyone else is refused before any service is asked
    (and each service checks again)."""
    if account.get("role") != "operator":
        raise GatewayError("operators_only")


def page(items) -> dict:
    """The services answer plain lists; the API answers {items, total} (a dict passes as it is)."""
    return {"items": items, "total": len(items)} if isinstance(items, list) else items


def sync_pending(backup_number: str) -> dict:
    """The state of a submitted backup that registry-sync has not recorded yet: its consumer of
    BackupSubmitted runs just after the submit, so for a moment there is nothing to read."""
    return {"backup_number": backup_number, "state": "pending", "attempts": 0, "last_error": None,
            "synced_at": None, "next_attempt_at": None}


class GatewayService:
    name = "gateway"

    ctx = RequestContext()
    config = Config()
    identity = expiring_proxy("identity")
    projects = expiring_proxy("projects")
    backups = expiring_proxy("backups")
    verification = expiring_proxy("verification")
    registry_sync = expiring_proxy("registry-sync")
    taxonomy_cache = CachedValue(TAXONOMY_TTL)
    accounts = AccountCache()  # tokens checked here, accounts kept while identity's feed is connected
    throttle = Throttled()
    broker_gauges = BrokerGauges(tuple(HEALTH_CHECKED))   # dead letters, service instances: at each scrape

    _openapi = None  # built once per process from the route declarations

    @property
    def rpc_timeout(self) -> float:
        return float(self.config.get("GATEWAY_RPC_TIMEOUT", 10))

    # ---- rate limits (throttle.py): 429 rate_limited with Retry-After ---------------------------

    def _log_in(self, request, body) -> dict:
        """identity's login behind the login limits: wrong passwords count per (account, address),
        per address and per account (not for a browser holding this account's known-device cookie);
        a success or an outage counts nothing."""
        username, address = body["username"], self.throttle.address(request)
        checks = [("login_pair", f"{username}\n{address}"), ("login_address", address)]
        if not self.throttle.devices.knows(request, username):
            checks.append(("login_account", username))
        return self.throttle.attempt(
            checks, lambda: call(self.identity.login, username, body["password"], timeout=self.rpc_timeout),
            wrong_password)

    def _limited(self, request, account, kind: str, do, counts):
        """``do()`` behind the ``<kind>_account`` and ``<kind>_address`` limits."""
        checks = [(f"{kind}_account", account["id"]), (f"{kind}_address", self.throttle.address(request))]
        return self.throttle.attempt(checks, do, counts)

    # ---- auth and account -------------------------------------------------------------------

    @route("POST", f"{PREFIX}/auth/login", auth=PUBLIC, tag="auth", summary="Log in with username and password",
           body=schemas.LoginRequest, response=schemas.TokenResponse, errors=(401, 429))
    def login(self, request, body):
        """Exchange an HGRG account's username and password for a bearer token. Wrong passwords lock
        nothing; they are limited (429 rate_limited with Retry-After) per account and client address
        (5 per 15 minutes), per address (30 per 15 minutes) and per account from everywhere (100 an
        hour; not for a browser holding the account's hgrip_device cookie). 401 account_inactive: the
        right password of an account that has left its institution."""
        return self._log_in(request, body)

    @route("POST", f"{PREFIX}/auth/session", auth=PUBLIC, csrf=True, tag="auth",
           summary="Log in the browser: a session cookie instead of a token",
           body=schemas.LoginRequest, response=schemas.Account, errors=(401, 403, 429),
           headers={"Set-Cookie": f"{SESSION_COOKIE}=<token>; HttpOnly; SameSite=Strict; Path=/api/; "
                                  "Max-Age=<seconds until the token expires>[; Secure over HTTPS], and "
                                  f"{DEVICE_COOKIE}=<signed>; HttpOnly; SameSite=Strict; Path={DEVICE_COOKIE_PATH}; "
                                  f"Max-Age={DEVICE_DAYS * 86400}[; Secure over HTTPS] (this browser is known "
                                  "to the account: its logins skip the per-account limit)"})
    def create_session(self, request, body):
        """Same check and refusals as POST /auth/login, but the token goes into an HttpOnly cookie that
        scripts cannot read, and the body is the account (as GET /me). Needs X-HGRIP-CSRF: 1, like every
        unsafe request the cookie authenticates, and an Origin (if sent) of this host. A second cookie,
        hgrip_device, makes this browser known to the account: its later logins to it skip the
        per-account limit, so guessers spread over many addresses cannot keep its owner out."""
        login = self._log_in(request, body)
        secure = request_is_https(request)
        cookies = [session_cookie(login["access_token"], login["expires_in"], secure),
                   self.throttle.devices.cookie(body["username"], secure)]
        return Reply(login["account"], headers={"Set-Cookie": cookies})

    @route("GET", f"{PREFIX}/auth/session", auth=PUBLIC, tag="auth",
           summary="Whether this browser is logged in, and as whom", response=schemas.SessionState)
    def get_session(self, request):
        """The page's first question. 200 either way, so that a visitor who is not logged in is an
        answer, not an error; an expired or unknown cookie is cleared. 503 if identity cannot answer."""
        token = session_token(request)
        if token is None:
            return {"authenticated": False, "account": None}
        try:
            account = self.accounts.account_for(self.identity, token, self.rpc_timeout)
        except Unauthorized:  # a bad token, or identity's refusal of its account
            account = None
        if not account:
            return Reply({"authenticated": False, "account": None},
                         headers={"Set-Cookie": cleared_session_cookie(request_is_https(request))})
        return {"authenticated": True, "account": account}

    @route("DELETE", f"{PREFIX}/auth/session", auth=PUBLIC, csrf=True, tag="auth",
           summary="Log out the browser: the session cookie is cleared", status=204, errors=(403,),
           headers={"Set-Cookie": f"{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/api/; Max-Age=0"
                                  "[; Secure over HTTPS]"})
    def delete_session(self, request):
        """204 whether or not a (valid) cookie came: logging out twice is not an error. Tokens are
        self-contained, so the browser forgetting it is the logout; it expires on its own."""
        return Reply(None, headers={"Set-Cookie": cleared_session_cookie(request_is_https(request))})

    @route("GET", f"{PREFIX}/me", tag="auth", summary="The account behind the token", response=schemas.Account)
    def me(self, request, account):
        return account

    # ---- projects ---------------------------------------------------------------------------

    @route("POST", f"{PREFIX}/projects", tag="projects", summary="Create a project",
           body=schemas.ProjectCreateRequest, response=schemas.Project, status=201, errors=(403, 409))
    def create_project(self, request, account, body):
        """Only a real-name verified natural person authorised by an institution may create projects;
        the institution is taken from that authorisation. Projects can never be changed or deleted."""
        project = call(self.projects.create_project, account["id"], body, timeout=self.rpc_timeout)
        return Reply(project, headers={"Location": f"{PREFIX}/projects/{project['id']}"})

    @route("GET", f"{PREFIX}/projects", tag="projects", summary="The projects the caller may see",
           response=schemas.ProjectList)
    def list_projects(self, request, account):
        projects = call(self.projects.list_projects, account["id"], timeout=self.rpc_timeout)
        return page(projects)

    @route("GET", f"{PREFIX}/projects/<project_id>", tag="projects", summary="One project",
           response=schemas.Project, errors=(403, 404))
    def get_project(self, request, account, project_id):
        return call(self.projects.get_project, account["id"], project_id, timeout=self.rpc_timeout)

    # ---- backups (docs/backup-lifecycle.md); the backups service checks ownership on every call --

    @route("POST", f"{PREFIX}/projects/<project_id>/backups", tag="backups", summary="Create a backup of a project",
           body=schemas.BackupCreateRequest, response=schemas.Backup, status=201, errors=(403, 404))
    def create_backup(self, request, account, body, project_id):
        backup = call(self.backups.create_backup, account["id"], project_id, body, timeout=self.rpc_timeout)
        return Reply(backup, headers={"Location": f"{PREFIX}/backups/{backup['id']}"})

    @route("GET", f"{PREFIX}/projects/<project_id>/backups", tag="backups", summary="The backups of a project",
           response=schemas.BackupList, errors=(403, 404))
    def list_backups(self, request, account, project_id):
        return page(call(self.backups.list_backups, account["id"], project_id, timeout=self.rpc_timeout))

    @route("GET", f"{PREFIX}/backups/<backup_id>", tag="backups", summary="One backup with its files",
           response=schemas.Backup, errors=(404,))
    def get_backup(self, request, account, backup_id):
        return call(self.backups.get_backup, account["id"], backup_id, timeout=self.rpc_timeout)

    @route("PATCH", f"{PREFIX}/backups/<backup_id>", tag="backups",
           summary="Rename a backup or change its categories",
           body=schemas.BackupUpdateRequest, response=schemas.Backup, errors=(404, 409))
    def update_backup(self, request, account, body, backup_id):
        """Refused once submitted (backup_locked), or when new categories would strand files
        (category_change_strands_files, details.files)."""
        return call(self.backups.update_backup, account["id"], backup_id, body, timeout=self.rpc_timeout)

    @route("POST", f"{PREFIX}/backups/<backup_id>/files", tag="backups", summary="Add a data file to a backup",
           body=schemas.FileAddRequest, response=schemas.DataFile, status=201, errors=(404, 409))
    def add_file(self, request, account, body, backup_id):
        """The accession must match its repository's pattern and belong to the submission account
        (dataset_account_mismatch). The file is complete at once when that account is the project's
        PI e-mail, else pending_verification."""
        data_file = call(self.backups.add_file, account["id"], backup_id, body, timeout=self.rpc_timeout)
        return Reply(data_file, headers={"Location": f"{PREFIX}/backups/{backup_id}/files/{data_file['id']}"})

    @route("GET", f"{PREFIX}/backups/<backup_id>/files/<file_id>", tag="backups", summary="One data file",
           response=schemas.DataFile, errors=(404,))
    def get_file(self, request, account, backup_id, file_id):
        return call(self.backups.get_file, account["id"], backup_id, file_id, timeout=self.rpc_timeout)

    @route("PATCH", f"{PREFIX}/backups/<backup_id>/files/<file_id>", tag="backups", summary="Change a data file",
           body=schemas.FileUpdateRequest, response=schemas.DataFile, errors=(404, 409))
    def update_file(self, request, account, body, backup_id, file_id):
        """After submission only cases and mb_per_case may change (backup_locked)."""
        return call(self.backups.update_file, account["id"], backup_id, file_id, body, timeout=self.rpc_timeout)

    @route("DELETE", f"{PREFIX}/backups/<backup_id>/files/<file_id>", tag="backups",
           summary="Remove a data file (drafts only)", response=schemas.FileDeleted, errors=(404, 409))
    def delete_file(self, request, account, backup_id, file_id):
        return call(self.backups.delete_file, account["id"], backup_id, file_id, timeout=self.rpc_timeout)

    @route("POST", f"{PREFIX}/backups/<backup_id>/files/<file_id>/verification-code", tag="backups",
           summary="E-mail a verification code to the file's submission account",
           response=schemas.VerificationCodeSent, status=202, errors=(404, 409, 429, 503))
    def request_verification_code(self, request, account, backup_id, file_id):
        """One code per file every 5 minutes: sooner is 429 code_resend_too_soon with Retry-After; codes
        sent for one account (20 an hour) and from one address (60 an hour) are limited too (429
        rate_limited with Retry-After)."""
        return self._limited(request, account, "code_send", lambda: call(
            self.backups.request_verification_code, account["id"], backup_id, file_id, timeout=self.rpc_timeout),
            sent)

    @route("POST", f"{PREFIX}/backups/<backup_id>/files/<file_id>/verify", tag="backups",
           summary="Confirm a data file with the e-mailed code", body=schemas.VerifyRequest,
           response=schemas.DataFile, errors=(404, 409, 423, 429))
    def verify_file(self, request, account, body, backup_id, file_id):
        """Codes are valid 48 hours; 5 wrong tries lock the code (423) until a new one is requested.
        Refused checks are limited per account (10 an hour) and per client address (30 an hour): 429
        rate_limited with Retry-After."""
        return self._limited(request, account, "code_check", lambda: call(
            self.backups.verify_file, account["id"], backup_id, file_id, body["code"], timeout=self.rpc_timeout),
            refused)

    @route("POST", f"{PREFIX}/backups/<backup_id>/submit", tag="backups",
           summary="Submit a backup: it gets its backup number and is sent to HGRG",
           response=schemas.Backup, errors=(404, 409))
    def submit_backup(self, request, account, backup_id):
        """Every file must be complete (files_not_verified lists the others)."""
        return call(self.backups.submit, account["id"], backup_id, timeout=self.rpc_timeout)

    @route("GET", f"{PREFIX}/backups/<backup_id>/history", tag="backups",
           summary="What happened to a backup, oldest first",
           response=schemas.History, errors=(404,))
    def backup_history(self, request, account, backup_id):
        entries = call(self.backups.history, account["id"], backup_id, timeout=self.rpc_timeout)
        return {"items": entries}

    @route("GET", f"{PREFIX}/backups/<backup_id>/sync", tag="backups",
           summary="Where a submitted backup stands in its delivery to HGRG",
           response=schemas.SyncState, errors=(404, 409))
    def backup_sync(self, request, account, backup_id):
        """409 backup_not_submitted before submission. registry-sync keeps retrying while HGRG is away
        (state failing, with attempts, last_error and next_attempt_at)."""
        # get_backup first: registry-sync knows nothing of owners, so backups is the access check.
        backup = call(self.backups.get_backup, account["id"], backup_id, timeout=self.rpc_timeout)
        number = backup.get("backup_number")
        if not number:
            raise GatewayError("backup_not_submitted", {"backup_id": backup_id})
        try:
            return call(self.registry_sync.get_sync_state, number, timeout=self.rpc_timeout)
        except NotFound as exc:
            if exc.code != "sync_state_not_found":
                raise
            return sync_pending(number)

    @route("GET", f"{PREFIX}/taxonomy", auth=PUBLIC, tag="backups",
           summary="Categories, detailed types and repositories (with accession patterns)",
           response=schemas.Taxonomy)
    def taxonomy(self, request):
        """Reference data, the same for everyone, so no token is needed; cached for 5 minutes."""
        taxonomy = self.taxonomy_cache.get(lambda: call(self.backups.taxonomy, timeout=self.rpc_timeout))
        return Reply(taxonomy, headers={"Cache-Control": f"public, max-age={int(TAXONOMY_TTL)}"})

    # ---- institutions (法人/单位管理员) -----------------------------------------------------------

    @route("GET", f"{PREFIX}/institution/backups", tag="institution",
           summary="The backups of the caller's institution (legal person) or unit (unit admin)",
           query=inst.InstitutionBackupQuery, response=inst.InstitutionBackupPage, errors=(403,))
    def institution_backups(self, request, account, query):
        """Two tabs (status completed/incomplete), filters, paging and sorting. Natural persons and
        operators get 403 institution_admins_only; nobody sees another institution's backups."""
        return call(self.backups.institution_backups, account["id"], query, timeout=self.rpc_timeout)

    @route("GET", f"{PREFIX}/institution/backups/export", tag="institution",
           summary="Export the backup list (every matching row) as CSV or XLSX, streamed",
           query=inst.InstitutionBackupExportQuery, errors=(403,), content=tuple(export.FORMATS.values()),
           headers={"Content-Disposition": "attachment; filename=\"backups-<yyyymmdd-hhmmss>.<format>\"; "
                                           "filename*=UTF-8''<备份列表-已完成|未完成-yyyymmdd-hhmmss>.<format>"})
    def institution_backups_export(self, request, account, query):
        """Every row the list would show for the same tab, filters and sort (same scope rules), not
        only a page: a bilingual header row, then 序号 and the list's columns (备份号, 备份名称, 备案号,
        项目负责人, 委托人, 创建时间) with 提交时间, 单位, 完成情况, file count, size and the filing
        warning; times in Beijing time. Streamed as it is read, batch by batch: the gateway never holds
        the file. Refusals (403 institution_admins_only, 400 for a bad format or filter) come before the
        first byte; a failure later cuts the download short (the file is then incomplete)."""
        fmt = query.pop("format")
        fetch = functools.partial(call, self.backups.institution_backups_export, account["id"], query,
                                  timeout=self.rpc_timeout)
        first = fetch(None, export.BATCH)   # refusals become an error answer, not a broken file
        log = self.ctx.log

        def following(after):
            return fetch(after, export.BATCH)

        def stream():
            chunks = export.csv_chunks if fmt == "csv" else export.xlsx_chunks
            try:
                yield from chunks(export.batches(following, first))
            except Exception:
                log.exception("export.stream_failed", format=fmt)
                raise

        headers = {"Content-Disposition": export.content_disposition(export.filename(fmt, query["status"]))}
        return Response(stream(), status=200, content_type=export.FORMATS[fmt], headers=headers,
                        direct_passthrough=True)

    @route("GET", f"{PREFIX}/institution/backups/<backup_id>", tag="institution",
           summary="One backup of the institution, as the manual's backup detail (备份详细信息)",
           response=inst.InstitutionBackupDetail, errors=(403, 404))
    def institution_backup(self, request, account, backup_id):
        """A backup outside the caller's scope answers 404 backup_not_found, like one that does not exist."""
        return call(self.backups.institution_backup, account["id"], backup_id, timeout=self.rpc_timeout)

    @route("GET", f"{PREFIX}/institution/backups/<backup_id>/history", tag="institution",
           summary="What happened to one backup of the institution, oldest first (备份详细信息's history)",
           response=schemas.History, errors=(403, 404))
    def institution_backup_history(self, request, account, backup_id):
        """The same timeline the delegate sees at /backups/{backup_id}/history, under the same scope
        rules as the detail: outside the caller's scope 404 backup_not_found."""
        entries = call(self.backups.institution_backup_history, account["id"], backup_id,
                       timeout=self.rpc_timeout)
        return {"items": entries}

    @route("GET", f"{PREFIX}/institution/members", tag="institution",
           summary="Members of the caller's institution or unit (人员信息浏览)",
           query=inst.MemberQuery, response=inst.MemberPage, errors=(403,))
    def institution_members(self, request, account, query):
        return call(self.backups.institution_members, account["id"], query, timeout=self.rpc_timeout)

    @route("GET", f"{PREFIX}/institution/delegates", tag="institution",
           summary="Natural persons with their projects and backups (委托人信息浏览)",
           query=inst.DelegateQuery, response=inst.DelegatePage, errors=(403,))
    def institution_delegates(self, request, account, query):
        return call(self.backups.institution_delegates, account["id"], query, timeout=self.rpc_timeout)

    @route("POST", f"{PREFIX}/institution/delegations", tag="institution",
           summary="Move every backup and project of one natural person to another member (委托调整)",
           body=inst.DelegationRequest, response=inst.DelegationResponse, errors=(403, 404, 409))
    def transfer_delegation(self, request, account, body):
        """All or nothing. Refused (and nothing changes) when either person is outside the caller's
        institution or unit (404 member_not_found), the new delegate is no natural person, has left
        (delegate_not_employed) or already has a project of the same name; HGRG is told the new owner
        of every numbered backup."""
        return call(self.backups.transfer_delegation, account["id"], body, timeout=self.rpc_timeout)

    @route("POST", f"{PREFIX}/institution/claims", tag="claims",
           summary="Claim a registrant's legacy backups for a delegate of the institution (no SMS)",
           body=inst.InstitutionClaimRequest, response=inst.ClaimResponse, errors=(403, 404, 409, 429))
    def institution_claim(self, request, account, body):
        """The delegate must be an employed natural person in the caller's scope and of the same
        institution as the old registrant (claim_other_institution says why when not). Refused claims
        are limited per account (10 an hour) and per client address (30 an hour): 429 rate_limited."""
        return self._limited(request, account, "claim", lambda: call(
            self.backups.institution_claim, account["id"], body, timeout=self.rpc_timeout), refused)

    # ---- claims of legacy backups (natural persons) ---------------------------------------------

    @route("POST", f"{PREFIX}/claims/sms-code", tag="claims",
           summary="Send an SMS code to the old registrant's mobile (原系统注册手机号)",
           body=inst.ClaimCodeRequest, response=inst.SmsCodeSent, status=202,
           errors=(403, 404, 409, 429, 503))
    def request_claim_code(self, request, account, body):
        """Checked before anything is sent: the registrant has unclaimed numbered backups and is of the
        caller's institution. A new code at most once a minute; valid 10 minutes. Codes sent for one
        account (20 an hour) and from one address (60 an hour) are limited too: 429 rate_limited."""
        return self._limited(request, account, "code_send", lambda: call(
            self.backups.request_claim_code, account["id"], body, timeout=self.rpc_timeout), sent)

    @route("POST", f"{PREFIX}/claims", tag="claims",
           summary="Claim every numbered legacy backup of the old registrant with the SMS code",
           body=inst.ClaimRequest, response=inst.ClaimResponse, errors=(403, 404, 409, 423, 429))
    def claim_legacy(self, request, account, body):
        """A backup claimed once can never be claimed again (409 legacy_already_claimed); 5 wrong codes
        lock the code (423 sms_code_locked). Refused claims are limited per account (10 an hour) and per
        client address (30 an hour): 429 rate_limited with Retry-After."""
        return self._limited(request, account, "claim", lambda: call(
            self.backups.claim_legacy, account["id"], body, timeout=self.rpc_timeout), refused)

    # ---- HGRG provisioning ------------------------------------------------------------------

    @route("PUT", f"{PREFIX}/hgrg/institutions/<code>", auth=HGRG, tag="hgrg",
           summary="Create or update an institution and its units (idempotent)",
           body=schemas.InstitutionUpsertRequest, response=schemas.InstitutionUpsertResponse)
    def upsert_institution(self, request, body, code):
        result = call(self.identity.upsert_institution, {"code": code, **body}, timeout=self.rpc_timeout)
        self.accounts.changed()   # its members' views name it: this gateway forgets them at once
        return result

    @route("PUT", f"{PREFIX}/hgrg/accounts/<username>", auth=HGRG, tag="hgrg",
           summary="Create or update an account, its real-name status and authorisation (idempotent)",
           body=schemas.AccountUpsertRequest, response=schemas.AccountUpsertResponse)
    def upsert_account(self, request, body, username):
        result = call(self.identity.upsert_account, {"username": username, **body}, timeout=self.rpc_timeout)
        if result.get("account"):   # left, withdrawn, moved...: refused or answered anew here at once
            self.accounts.changed(result["account"]["id"])
        return result

    @route("POST", f"{PREFIX}/hgrg/filings", auth=HGRG, tag="hgrg",
           summary="A prior report was filed: link its filing number to the backups it cites (idempotent)",
           body=schemas.FilingLinkRequest, response=schemas.FilingLinkResponse)
    def link_filing(self, request, body):
        """Cited numbers no backup carries come back in ``unknown``; sending the same filing again
        gives the same answer and records nothing new."""
        return call(self.backups.link_filing, body, timeout=self.rpc_timeout)

    # ---- the operator's console (role operator; read-mostly, every replay audited) ----------------

    @route("GET", f"{PREFIX}/operator/backups/<backup_number>", tag="operator",
           summary="Any backup by its number (new or legacy): detail, owner, history and HGRG state",
           response=ops.OperatorBackup, errors=(403, 404))
    def operator_backup(self, request, account, backup_number):
        """Operators only (403 operators_only for every other role). The detail is the institution's
        备份详细信息; ``hgrg`` is registry-sync's record of the number's push and of every owner change
        (attempts, last error, times). 404 backup_not_found for a number no backup carries."""
        require_operator(account)
        found = call(self.backups.operator_backup, account["id"], backup_number, timeout=self.rpc_timeout)
        number = found["backup"]["backup_number"]
        found["hgrg"] = call(self.registry_sync.get_pushes, number, timeout=self.rpc_timeout) if number else \
            {"backup_number": None, "number": None, "owner_changes": []}
        return found

    @route("GET", f"{PREFIX}/operator/sync", tag="operator", summary="HGRG synchronisation at a glance",
           response=ops.SyncSummary, errors=(403,))
    def operator_sync(self, request, account):
        """Pending and failing pushes (numbers and owner changes), the oldest still open and its age,
        the last successful push. Operators only."""
        require_operator(account)
        return call(self.registry_sync.sync_summary, timeout=self.rpc_timeout)

    @route("GET", f"{PREFIX}/operator/dead-letters", tag="operator",
           summary="Dead letters of every service (messages that failed every attempt)",
           response=ops.DeadLetterList, errors=(403,))
    def operator_dead_letters(self, request, account):
        """Oldest first: service, queue, event type, last error (masked), attempts, time. Operators only."""
        require_operator(account)
        return call(self.identity.operator_dead_letters, account["id"], timeout=self.rpc_timeout)

    @route("GET", f"{PREFIX}/operator/dead-letters/<message_id>", tag="operator",
           summary="One dead letter with its message, personal data masked",
           response=ops.DeadLetterDetail, errors=(403, 404))
    def operator_dead_letter(self, request, account, message_id):
        """Mobiles, e-mail addresses, codes and tokens are masked (hgrip_kernel.masking).
        404 dead_letter_not_found when no dead letter has that message id."""
        require_operator(account)
        return call(self.identity.operator_dead_letter, account["id"], message_id, timeout=self.rpc_timeout)

    @route("POST", f"{PREFIX}/operator/dead-letters/<message_id>/replay", tag="operator",
           summary="Replay one dead letter to the queue it failed in (audited)",
           response=ops.ReplayResult, errors=(403, 404))
    def operator_replay_one(self, request, account, message_id):
        """The message goes back to its consumer's queue with its attempts reset; the replay is recorded
        as an OperatorActionRecorded event naming the operator (GET /operator/actions). 404
        dead_letter_not_found when it is not there (already replayed)."""
        require_operator(account)
        return call(self.identity.operator_replay, account["id"], message_id, timeout=self.rpc_timeout)

    @route("POST", f"{PREFIX}/operator/dead-letters/replay", tag="operator",
           summary="Replay every dead letter (audited)", response=ops.ReplayResult, errors=(403,))
    def operator_replay_all(self, request, account):
        """Every dead letter back to its queue; one OperatorActionRecorded naming the operator and
        listing them (an empty queue is a replay of none, recorded too)."""
        require_operator(account)
        return call(self.identity.operator_replay, account["id"], None, timeout=max(self.rpc_timeout, 60.0))

    @route("GET", f"{PREFIX}/operator/actions", tag="operator",
           summary="What operators did on the console, newest first", response=ops.OperatorActionList,
           errors=(403,))
    def operator_actions(self, request, account):
        require_operator(account)
        return call(self.identity.operator_actions, account["id"], timeout=self.rpc_timeout)

    # ---- operations -------------------------------------------------------------------------

    @route("GET", f"{PREFIX}/healthz", auth=PUBLIC, tag="operations", summary="Liveness of every service",
           response=schemas.Health, errors=(503,))
    def healthz(self, request):
        """200 only when every service answers its health() RPC in time; 503 names the failing ones."""
        timeout = float(self.config.get("GATEWAY_HEALTH_TIMEOUT", 2))
        methods = {label: getattr(self, attr).health for label, attr in HEALTH_CHECKED.items()}
        services = {}
        for label, (state, result) in gather(methods, timeout).items():
            healthy = state == "ok" and isinstance(result, dict) and result.get("ok") is True
            services[label] = "ok" if healthy else ("error" if state == "ok" else state)
        healthy = all(state == "ok" for state in services.values())
        return Reply({"status": "ok" if healthy else "degraded", "services": services},
                     status=200 if healthy else 503)

    @route("GET", f"{PREFIX}/openapi.json", auth=PUBLIC, tag="operations", summary="This API as OpenAPI 3.0.3")
    def openapi(self, request):
        if GatewayService._openapi is None:
            GatewayService._openapi = openapi_document()
        return GatewayService._openapi

    # ---- the web application (webapp.py): every GET/HEAD outside /api -------------------------

    @api("GET", "/")
    @api("GET", "/<page:path>")
    def web_page(self, request, path=""):
        return serve_page(request, web_dist(self.config), path)


def openapi_document() -> dict:
    """The OpenAPI document of this gateway, from its route declarations (no service needed)."""
    return build_openapi(routes_of(GatewayService))
