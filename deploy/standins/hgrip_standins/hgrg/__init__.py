"""HGRG stand-in: provisions accounts into the platform, receives the backup numbers it sends back
and the changes of their owners.

Protocol: docs/protocols/hgrg.md.
"""
from hgrip_standins.hgrg.codes import institution_code, unit_code
from hgrip_standins.hgrg.provision import ProvisioningError, build_requests, load_accounts, provision

__all__ = ["institution_code", "unit_code", "ProvisioningError", "build_requests", "load_accounts", "provision"]
