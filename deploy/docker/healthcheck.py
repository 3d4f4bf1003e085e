"""Container healthcheck of a service image: `hgrip health $SERVICE`, the same check as the Kubernetes
probes (kernel/hgrip_kernel/cli/health.py): the service's database answers and the broker accepts a
connection; for the gateway, the broker and its own HTTP port. Exit 0 healthy, 1 with a one-line reason.
"""
import os
import sys

from hgrip_kernel.cli.main import main

if __name__ == "__main__":
    service = os.environ["SERVICE"]
    sys.exit(main(["health", service, *(["--http"] if service == "gateway" else [])]))
