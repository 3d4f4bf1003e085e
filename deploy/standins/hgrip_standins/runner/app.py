"""The sequence behind `make run`: stand-ins, migrations, services, health, provisioning, summary."""
import threading
import time

import requests

from hgrip_standins.runner.plan import Plan
from hgrip_standins.runner.supervisor import Supervisor


class Runner:
    def __init__(self, plan: Plan, supervisor: Supervisor, health_url: str, provision=None,
                 summary=None, health_timeout: float = 180.0, stop_event: threading.Event | None = None):
        self.plan, self.supervisor, self.health_url = plan, supervisor, health_url
        self.provision = provision          # callable() -> None; raises on failure
        self.summary = summary              # callable(provisioned: bool) -> str
        self.health_timeout = health_timeout
        self.stop_event = stop_event or threading.Event()

    def wait_healthy(self) -> bool:
        say = self.supervisor.say
        deadline, next_note = time.monotonic() + self.health_timeout, time.monotonic() + 15
        last = "no answer"
        while not self.stop_event.is_set():
            try:
                answer = requests.get(self.health_url, timeout=5)
                if answer.status_code == 200:
                    say(f"gateway healthy: {self.health_url}")
                    return True
                last = f"HTTP {answer.status_code} {answer.text[:300]}"   # names the services not yet up
            except requests.RequestException as error:
                last = type(error).__name__
            if time.monotonic() >= deadline:
                say(f"!! gateway not healthy after {self.health_timeout:.0f}s ({self.health_url}): {last}")
                return False
            if time.monotonic() >= next_note:
                say(f"waiting for {self.health_url}: {last}")
                next_note += 15
            self.stop_event.wait(0.5)
        return False

    def run(self) -> int:
        sup = self.supervisor
        sup.reserve([spec.name for spec in self.plan.standins + self.plan.services] + ["migrate", "provision"])
        try:
            for spec in self.plan.standins:
                sup.start(spec)
            sup.start_monitor()
            for argv in self.plan.migrations:
                code = sup.run_once("migrate", argv, cancel=self.stop_event)
                if code != 0 or self.stop_event.is_set():
                    if code != 0:
                        sup.say(f"!! {' '.join(argv)} failed with exit code {code}; not starting services")
                    return 1 if code != 0 else 0
            for spec in self.plan.services:
                sup.start(spec)
            provisioned = False
            if self.wait_healthy() and self.provision is not None:
                try:
                    self.provision()
                    provisioned = True
                except Exception as error:   # the platform keeps running; the operator can re-provision
                    sup.say(f"!! provisioning failed: {error}")
            if self.summary is not None and not self.stop_event.is_set():
                for line in self.summary(provisioned).splitlines():
                    sup.say(line)
            while not self.stop_event.wait(0.5):
                pass
            return 0
        finally:
            sup.stop()
            sup.say("all children stopped")
