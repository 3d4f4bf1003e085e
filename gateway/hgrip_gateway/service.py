"""The gateway: the one public HTTP door. It authenticates, validates and translates; every
decision about accounts, projects and backups is taken by the service that owns them."""
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from hgrip_kernel.nameko import RequestContext

from . import schemas
from .calls import call, gather
from .openapi import build_openapi
from .routing import HGRG, PUBLIC, Reply, route, routes_of

PREFIX = "/api/v1"
# Name in the health report -> attribute holding the RpcProxy.
HEALTH_CHECKED = {"identity": "identity", "projects": "projects", "backups": "backups",
                  "verification": "verification", "registry-sync": "registry_sync"}


class GatewayService:
    name = "gateway"

    ctx = RequestContext()
    config = Config()
    identity = RpcProxy("identity")
    projects = RpcProxy("projects")
    backups = RpcProxy("backups")
    verification = RpcProxy("verification")
    registry_sync = RpcProxy("registry-sync")

    _openapi = None  # built once per process from the route declarations

    @property
    def rpc_timeout(self) -> float:
        return float(self.config.get("GATEWAY_RPC_TIMEOUT", 10))

    # ---- auth and account -------------------------------------------------------------------

    @route("POST", f"{PREFIX}/auth/login", auth=PUBLIC, tag="auth", summary="Log in with username and password",
           body=schemas.LoginRequest, response=schemas.TokenResponse, errors=(401, 423, 429))
    def login(self, request, body):
        """Exchange an HGRG account's username and password for a bearer token."""
        return call(self.identity.login, body["username"], body["password"], timeout=self.rpc_timeout)

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
        if isinstance(projects, list):  # the service answers a plain list; the API pages as {items, total}
            projects = {"items": projects, "total": len(projects)}
        return projects

    @route("GET", f"{PREFIX}/projects/<project_id>", tag="projects", summary="One project",
           response=schemas.Project, errors=(403, 404))
    def get_project(self, request, account, project_id):
        return call(self.projects.get_project, account["id"], project_id, timeout=self.rpc_timeout)

    # ---- HGRG provisioning ------------------------------------------------------------------

    @route("PUT", f"{PREFIX}/hgrg/institutions/<code>", auth=HGRG, tag="hgrg",
           summary="Create or update an institution and its units (idempotent)",
           body=schemas.InstitutionUpsertRequest, response=schemas.InstitutionUpsertResponse)
    def upsert_institution(self, request, body, code):
        return call(self.identity.upsert_institution, {"code": code, **body}, timeout=self.rpc_timeout)

    @route("PUT", f"{PREFIX}/hgrg/accounts/<username>", auth=HGRG, tag="hgrg",
           summary="Create or update an account, its real-name status and authorisation (idempotent)",
           body=schemas.AccountUpsertRequest, response=schemas.AccountUpsertResponse)
    def upsert_account(self, request, body, username):
        return call(self.identity.upsert_account, {"username": username, **body}, timeout=self.rpc_timeout)

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
            GatewayService._openapi = build_openapi(routes_of(GatewayService))
        return GatewayService._openapi
