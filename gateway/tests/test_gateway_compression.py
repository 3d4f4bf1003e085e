"""The API's larger JSON answers travel gzipped to clients that accept it; small ones and clients
that do not ask are answered as they are. (Pages are precompressed at build time: test_gateway_webapp.)"""
import gzip
import json
import urllib.request

import pytest


@pytest.fixture
def gateway(start_gateway):
    return start_gateway()


def fetch(base_url: str, path: str, accept_encoding: str | None):
    request = urllib.request.Request(base_url + path)
    if accept_encoding is not None:
        request.add_header("Accept-Encoding", accept_encoding)
    with urllib.request.urlopen(request, timeout=30) as response:  # urllib never decompresses by itself
        return response.status, dict(response.headers), response.read()


def test_a_large_json_answer_is_gzipped_for_who_accepts_it(gateway):
    status, headers, body = fetch(gateway.base_url, "/api/v1/openapi.json", "gzip, deflate")
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    document = json.loads(gzip.decompress(body))
    assert document["openapi"] == "3.0.3"
    assert int(headers["Content-Length"]) == len(body) < len(json.dumps(document)) / 3


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "br"])
def test_it_is_sent_as_it_is_to_who_does_not_accept_gzip(gateway, accept):
    status, headers, body = fetch(gateway.base_url, "/api/v1/openapi.json", accept)
    assert status == 200 and "Content-Encoding" not in headers
    assert json.loads(body)["openapi"] == "3.0.3"


def test_a_small_answer_is_not_compressed(gateway):
    request = urllib.request.Request(gateway.base_url + "/api/v1/me", headers={"Accept-Encoding": "gzip"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401 and "Content-Encoding" not in refused.value.headers
    assert json.loads(refused.value.read())["error"]["code"] == "unauthenticated"
