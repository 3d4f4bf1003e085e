"""Container healthcheck of a service image: exit 0 when the service in this container answers.

gateway: GET /api/v1/openapi.json on its own HTTP port (no RPC, so one slow service does not mark the
gateway unhealthy too). Other services: the `health()` RPC every service exposes, over the broker.
"""
import os
import sys
import urllib.request
import warnings
from importlib.metadata import entry_points

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

SERVICE = os.environ["SERVICE"]
TIMEOUT = 5


def gateway_ok() -> bool:
    port = os.environ.get("HGRIP_GATEWAY_ADDRESS", "0.0.0.0:8000").rsplit(":", 1)[1]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=TIMEOUT) as answer:
        return answer.status == 200


def service_ok() -> bool:
    from nameko.standalone.rpc import ClusterRpcProxy

    # The nameko name may differ from the CLI name (registry-sync → registry_sync): ask the class.
    found = [e for e in entry_points(group="hgrip.services") if e.name == SERVICE]
    if not found:
        raise LookupError(f"no 'hgrip.services' entry point named {SERVICE!r} is installed")
    cls = found[0].load()
    config = {"AMQP_URI": os.environ.get("HGRIP_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
              "serializer": "json"}
    with ClusterRpcProxy(config, timeout=TIMEOUT) as cluster:
        return getattr(cluster, cls.name).health().get("ok") is True


if __name__ == "__main__":
    try:
        healthy = gateway_ok() if SERVICE == "gateway" else service_ok()
    except Exception as error:   # any failure is "unhealthy"; say why in `docker inspect`
        print(f"{SERVICE} unhealthy: {error!r}")
        sys.exit(1)
    sys.exit(0 if healthy else 1)
