"""Let DomainError and its subclasses cross nameko RPC as themselves, not as RemoteError."""
from nameko.exceptions import get_module_path, registry

from ..errors import ALL_ERRORS


def register_rpc_errors(*extra) -> None:
    for cls in (*ALL_ERRORS, *extra):
        registry[get_module_path(cls)] = cls
