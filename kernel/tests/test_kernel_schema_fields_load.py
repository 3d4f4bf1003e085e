"""schema_fields.load_object: a JSON object's values, or invalid_input with details per field."""
import pytest
from marshmallow import Schema, fields

from hgrip_kernel.errors import InvalidInput
from hgrip_kernel.schema_fields import load_object


class NameSchema(Schema):
    name = fields.String(required=True)


def test_loads_an_object():
    assert load_object(NameSchema(), {"name": "Trio"}) == {"name": "Trio"}


@pytest.mark.parametrize("payload,details", [
    (["not", "an", "object"], {"_schema": ["The payload must be an object."]}),
    ({}, {"name": ["Missing data for required field."]}),
])
def test_refusals_are_invalid_input_with_details(payload, details):
    with pytest.raises(InvalidInput) as info:
        load_object(NameSchema(), payload)
    assert (info.value.code, info.value.details) == ("invalid_input", details)
