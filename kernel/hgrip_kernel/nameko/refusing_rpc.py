"""An RPC whose refusals are answers, not faults: nameko logs a DomainError as a warning, not an error."""
from nameko.rpc import rpc

from ..errors import DomainError

refusing_rpc = rpc(expected_exceptions=DomainError)
