"""tests/deploy: the `container` marker — tests that build nothing but run the real images with podman
(tests/deploy/test_containers.py). They take minutes and need root's podman, so they run only under
`make test-deploy` (HGRIP_CONTAINER_TESTS=1); `make test` skips them and says so."""
import os

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "container: runs the images and the compose stack with podman "
                                       "(make test-deploy; skipped unless HGRIP_CONTAINER_TESTS=1)")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("HGRIP_CONTAINER_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="container test: run `make test-deploy` (HGRIP_CONTAINER_TESTS=1)")
    for item in items:
        if "container" in item.keywords:
            item.add_marker(skip)
