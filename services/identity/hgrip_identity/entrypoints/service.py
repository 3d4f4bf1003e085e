"""The identity nameko service: HGRG provisioning, login, token checks.

Thin: each RPC loads its payload with a schema, calls a use case (``app/``) with the service's
``Ports`` and the request (``self.ctx``), and encodes the answer.
"""
from functools import lru_cache

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from hgrip_kernel.health import health_report
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, refusing_rpc
from hgrip_kernel.personal_data import PersonalData

from ..adapters.dead_letters import KombuDeadLetters
from ..adapters.passwords import Argon2Passwords
from ..adapters.read_models import SqlDatabase
from ..adapters.tokens import JwtTokens
from ..app import authorisation, login, operator_console, provisioning
from ..app.ports import Ports
from ..app.views import account_view, institution_view
from .schemas import (
    AccountIdSchema,
    AccountPayloadSchema,
    InstitutionPayloadSchema,
    LoginSchema,
    MessageIdSchema,
    TokenSchema,
    load,
)

PASSWORDS = Argon2Passwords()


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
        institution, changed = provisioning.upsert_institution(self._ports(), self.ctx, data)
        return {"institution": institution_view(institution), "changed": changed}

    @refusing_rpc
    def upsert_account(self, payload):
        data = load(AccountPayloadSchema, payload)
        row, changed = provisioning.upsert_account(self._ports(), self.ctx, data)
        return {"account": account_view(row) if row is not None else None, "changed": changed}

    # --- login and tokens ---------------------------------------------------------------------
    @refusing_rpc
    def login(self, username, password):
        data = load(LoginSchema, {"username": username, "password": password})
        done = login.login(self._ports(), self.ctx, data["username"], data["password"])
        return {"access_token": done.access_token, "token_type": "bearer", "expires_in": done.expires_in,
                "account": account_view(done.account)}

    @refusing_rpc
    def authenticate(self, token):
        data = load(TokenSchema, {"token": token})
        return account_view(authorisation.authenticate(self._ports(), self.ctx, data["token"]))

    @refusing_rpc
    def get_account(self, account_id):
        data = load(AccountIdSchema, {"account_id": account_id})
        return account_view(authorisation.get_account(self._ports(), str(data["account_id"])))

    # --- the operator's console (app/operator_console.py): dead letters and the audit trail ------
    @refusing_rpc
    def operator_dead_letters(self, actor_id):
        """Every service's dead letters → ``{items, total}``; 403 operators_only for anyone else."""
        return operator_console.dead_letters(self._ports(), self._actor(actor_id))

    @refusing_rpc
    def operator_dead_letter(self, actor_id, message_id):
        """One dead letter with its message, personal data masked; 404 dead_letter_not_found."""
        return operator_console.dead_letter(self._ports(), self._actor(actor_id), self._message_id(message_id))

    @refusing_rpc
    def operator_replay(self, actor_id, message_id=None):
        """Replay one dead letter (or all, with None); recorded as OperatorActionRecorded."""
        message_id = None if message_id is None else self._message_id(message_id)
        return operator_console.replay(self._ports(), self.ctx, self._actor(actor_id), message_id)

    @refusing_rpc
    def operator_actions(self, actor_id):
        """The operators' actions, newest first → ``{items, total}``."""
        return operator_console.actions(self._ports(), self._actor(actor_id))

    @staticmethod
    def _actor(actor_id):
        return str(load(AccountIdSchema, {"account_id": actor_id})["account_id"])

    @staticmethod
    def _message_id(message_id):
        return load(MessageIdSchema, {"message_id": message_id})["message_id"]

    # --- wiring ---------------------------------------------------------------------------------
    def _ports(self) -> Ports:
        return Ports(store=self.store, db=SqlDatabase(self.store.engine), passwords=PASSWORDS,
                     tokens=JwtTokens(self.config), personal_data=personal_data(self.config),
                     dead_letters=KombuDeadLetters(self.config["AMQP_URI"]))


def personal_data(config) -> PersonalData:
    """The mobile's hash and sealing keys of the config, made once (parsing the keys is not free)."""
    return _personal_data(config["MOBILE_HASH_SECRET"], config["PERSONAL_DATA_KEYS"])


@lru_cache(maxsize=4)
def _personal_data(hmac_key: str, keys: str) -> PersonalData:
    return PersonalData(hmac_key, keys)
