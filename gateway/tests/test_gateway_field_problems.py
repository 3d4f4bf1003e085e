"""Every custom validator message of the gateway's schemas — and of the services' schemas, whose
invalid_input the gateway reshapes — has its own code and Chinese text in hgrip_kernel.field_errors
(none falls back to the generic ``invalid``)."""
import importlib
import inspect
import pkgutil
import re

import pytest
from marshmallow import Schema, fields

from hgrip_kernel.field_errors import UNKNOWN_CODE, field_problem

GATEWAY_MODULES = ["hgrip_gateway.schemas", "hgrip_gateway.institution_schemas"]
SERVICE_PACKAGES = ["hgrip_backups", "hgrip_identity", "hgrip_projects", "hgrip_verification", "hgrip_registry_sync"]


def schema_modules(package_name: str) -> list[str]:
    """Every module of the service package whose name ends in ``schemas`` (wherever the layout puts it)."""
    try:
        package = importlib.import_module(package_name)
    except ModuleNotFoundError:
        return []
    return sorted(info.name for info in pkgutil.walk_packages(package.__path__, f"{package_name}.")
                  if info.name.rsplit(".", 1)[-1].endswith("schemas"))


SERVICE_MODULES = [name for package in SERVICE_PACKAGES for name in schema_modules(package)]


def validators(field: fields.Field):
    yield from field.validators
    for attribute in ("inner", "value_field"):  # List items, Dict values
        inner = getattr(field, attribute, None)
        if isinstance(inner, fields.Field):
            yield from validators(inner)


def custom_messages(module_name: str) -> set[str]:
    """The ``error=`` texts of every validator of every schema of the module, placeholders filled."""
    module = importlib.import_module(module_name)
    found = set()
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if not (issubclass(cls, Schema) and cls.__module__ == module_name):
            continue
        for field in cls().fields.values():
            for validator in validators(field):
                error = getattr(validator, "error", None)
                if isinstance(error, str):
                    found.add(re.sub(r"\{(\w+)\}", "1", error))
    return found


@pytest.mark.parametrize("module_name", GATEWAY_MODULES + SERVICE_MODULES)
def test_custom_messages_have_codes(module_name):
    if module_name not in GATEWAY_MODULES:
        pytest.importorskip(module_name.split(".")[0])
    unknown = {text for text in custom_messages(module_name) if field_problem(text)["code"] == UNKNOWN_CODE}
    assert not unknown, f"add these to hgrip_kernel.field_errors.TEMPLATES: {sorted(unknown)}"


def test_the_empty_update_message_has_a_code():
    from marshmallow import ValidationError

    from hgrip_gateway.schemas import BackupUpdateRequest

    with pytest.raises(ValidationError) as caught:
        BackupUpdateRequest().load({})
    problem = field_problem(caught.value.normalized_messages()["_schema"][0])
    assert problem["code"] == "empty_update" and problem["params"] == {"fields": "categories, name"}
    assert problem["message_zh"] == "请至少提供以下字段之一：categories, name。"
