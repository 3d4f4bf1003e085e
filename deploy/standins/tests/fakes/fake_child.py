"""A stand-in for a platform process, for the runner tests. Usage: fake_child.py MODE NAME [ARG].

Every event is appended to $FAKE_EVENTS as "<event> <name> <pid>" so the test can read the order.
"""
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

mode, name = sys.argv[1], sys.argv[2]


def note(event):
    with open(os.environ["FAKE_EVENTS"], "a") as handle:
        handle.write(f"{event} {name} {os.getpid()}\n")


def hung_up(*_):   # the runner is gone: stop after the delay it gave (see the supervisor)
    time.sleep(float(os.environ.get("HGRIP_ORPHAN_STOP_DELAY") or 0))
    graceful()


signal.signal(signal.SIGHUP, hung_up)


def graceful(*_):
    note("graceful-stop")
    print(f"{name} stopping gracefully", flush=True)
    sys.exit(0)


note("start")
if mode == "serve":
    signal.signal(signal.SIGTERM, graceful)
    print(f"{name} ready", flush=True)
    while True:
        time.sleep(0.1)
elif mode == "slowstop":   # work in flight when asked to stop: finishes it first
    def finish(*_):
        note("sigterm")
        if finishing:
            return
        finishing.append(True)
        time.sleep(1.5)
        graceful()

    finishing: list = []
    signal.signal(signal.SIGTERM, finish)
    print(f"{name} ready", flush=True)
    while True:
        time.sleep(0.1)
elif mode == "crash":
    print(f"{name} about to crash", flush=True)
    time.sleep(0.1)
    sys.exit(3)
elif mode == "stubborn":
    signal.signal(signal.SIGTERM, lambda *_: note("ignored-sigterm"))
    print(f"{name} ready and deaf", flush=True)
    while True:
        time.sleep(0.1)
elif mode == "oneshot":
    time.sleep(0.5)   # as long as a stand-in needs to be up (a signal before that would kill it unheard)
    print(f"{name} ran", flush=True)
    sys.exit(int(sys.argv[3]))
elif mode == "gateway":
    from hgrip_kernel.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

    provisioned = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            # The login the runner tries after provisioning; FAKE_LOGIN_STATUS forces an answer.
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status = int(os.environ.get("FAKE_LOGIN_STATUS") or 0) or (
                200 if body.get("username") in provisioned and body.get("password") == "Demo-2026!" else 401)
            note(f"login:{body.get('username')}:{status}")
            if self.path != "/api/v1/auth/login":
                return self.reply(404)
            self.reply(status, {"access_token": "t"} if status == 200 else None)

        def do_GET(self):
            self.reply(200 if self.path == "/api/v1/healthz" else 404)

        def do_PUT(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = verify(os.environ["HGRIP_HGRG_SHARED_SECRET"], "PUT", self.path,
                        self.headers.get(TIMESTAMP_HEADER), self.headers.get(SIGNATURE_HEADER), body)
            note(f"put:{'signed' if ok else 'unsigned'}:{self.path}")
            if ok and self.path.startswith("/api/v1/hgrg/accounts/"):
                provisioned.add(self.path.rsplit("/", 1)[1])
            self.reply(200 if ok else 401)

        def reply(self, status, payload=None):
            data = json.dumps(payload or {"status": status}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    signal.signal(signal.SIGTERM, graceful)
    host, port = os.environ["HGRIP_GATEWAY_ADDRESS"].split(":")
    server = HTTPServer((host, int(port)), Handler)
    print(f"{name} listening", flush=True)
    server.serve_forever()
