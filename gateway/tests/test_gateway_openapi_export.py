"""The OpenAPI file the web client is generated from (web/src/api/openapi.json) is the gateway's."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hgrip_gateway.openapi_export import current_text, main
from hgrip_gateway.service import openapi_document

COMMITTED = Path(__file__).resolve().parents[2] / "web" / "src" / "api" / "openapi.json"


def test_the_export_is_the_served_document_as_stable_text(tmp_path):
    target = tmp_path / "api" / "openapi.json"
    assert main([str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert json.loads(text) == openapi_document()
    assert text.endswith("}\n") and text == current_text()
    assert main([str(target)]) == 0 and target.read_text(encoding="utf-8") == text


def test_the_module_runs_without_any_service(tmp_path):
    target = tmp_path / "openapi.json"
    done = subprocess.run([sys.executable, "-m", "hgrip_gateway.openapi_export", str(target)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["openapi"] == "3.0.3"


@pytest.mark.skipif(not COMMITTED.exists(), reason="no web client yet")
def test_the_web_clients_copy_is_current():
    assert COMMITTED.read_text(encoding="utf-8") == current_text(), (
        f"{COMMITTED} differs from the gateway's OpenAPI document: run `make web-api` and commit the result")
