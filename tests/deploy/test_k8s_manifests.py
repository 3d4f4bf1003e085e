"""deploy/k8s, rendered as an operator would (`kubectl kustomize`), for both overlays: every object valid
against the Kubernetes schemas (kubernetes-validate) or, for KEDA's, against its CRD schemas kept in
deploy/k8s/crds; checkov finds nothing that is not justified in place; and what the manifests promise
holds: probes that run `hgrip health`, a PodDisruptionBudget per Deployment, a migration Job per
service, no literal secret, a grace period longer than the stop timeout, autoscalers on the real queues.

kubectl comes from `make deploy-tools` (deploy/scripts/ensure-kubectl.sh); kubernetes-validate and
checkov from its virtualenv .venv-deploy (their dependencies would fight requirements.txt). `make test`
makes both; run alone without them, these tests skip and say so.
"""
import copy
import json
import os
import re
import shutil
import subprocess
from importlib.metadata import entry_points
from pathlib import Path

import jsonschema
import pytest
import yaml

from hgrip_kernel.config import SERVICES

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
TOOLS = ROOT / ".venv-deploy" / "bin"
OVERLAYS = ("small", "large")
KUBERNETES_VERSION = "1.31.0"   # supported by kubernetes-validate 1.37.0; the oldest release we target
KEDA_KINDS = {"ScaledObject", "TriggerAuthentication"}
KEDA_SCHEMAS = {"ScaledObject": "scaledobjects.keda.sh.schema.yaml",
                "TriggerAuthentication": "triggerauthentications.keda.sh.schema.yaml"}
# Environment variables that carry a secret (a password inside a URL counts): only ever from a Secret.
SECRET_VARIABLE = re.compile(r"SECRET|_KEYS?$|PASSWORD|DATABASE_URL|AMQP_URI|REDIS_URL")
MIGRATING = SERVICES   # every service with a database; the gateway has none


def tool(name: str) -> str:
    path = TOOLS / name
    if not path.exists():
        pytest.skip(f"{path} is missing: run `make deploy-tools` (make test does)")
    return str(path)


def kubectl() -> str:
    found = shutil.which("kubectl")
    if not found:
        pytest.skip("kubectl is missing: run `make deploy-tools` (make test does)")
    return found


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    """{(overlay, "app" | "migrations"): (file, [objects])}, rendered once for the module."""
    out = tmp_path_factory.mktemp("k8s")
    result = {}
    for overlay in OVERLAYS:
        for part, directory in (("app", K8S / "overlays" / overlay),
                                ("migrations", K8S / "overlays" / overlay / "migrations")):
            text = run(kubectl(), "kustomize", str(directory)).stdout
            path = out / f"{overlay}-{part}.yaml"
            path.write_text(text)
            result[overlay, part] = (path, [o for o in yaml.safe_load_all(text) if o])
    return result


def objects(rendered, overlay=None, part=None, kind=None) -> list[dict]:
    return [o for (name, p), (_, objs) in rendered.items() for o in objs
            if overlay in (None, name) and part in (None, p) and kind in (None, o["kind"])]


def by_name(rendered, overlay, kind) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects(rendered, overlay, kind=kind)}


def container(workload: dict) -> dict:
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return only


def config_map(rendered, overlay) -> dict:
    (found,) = objects(rendered, overlay, "app", "ConfigMap")
    assert found["metadata"]["name"].startswith("hgrip-config-")   # hashed: a change rolls the pods
    return found["data"]


def service_queues() -> dict[str, set[str]]:
    """The queues each service really consumes: its nameko RPC queue and one per event handler."""
    from nameko.rpc import Rpc

    from hgrip_kernel.nameko.event_consumer import EventConsumer

    queues = {}
    for entry in entry_points(group="hgrip.services"):
        cls = entry.load()
        found = set()
        for attribute in dir(cls):
            for point in getattr(getattr(cls, attribute), "nameko_entrypoints", ()):
                if isinstance(point, Rpc):
                    found.add(f"rpc-{cls.name}")
                elif isinstance(point, EventConsumer):
                    found.add(f"{cls.name}.{attribute}")   # as EventConsumer.setup names it
        queues[entry.name] = found
    return queues


# --- rendering and schemas ------------------------------------------------------------------------

def test_both_overlays_render_every_part(rendered):
    for overlay in OVERLAYS:
        kinds = {o["kind"] for o in objects(rendered, overlay, "app")}
        assert {"Deployment", "PodDisruptionBudget", "ScaledObject", "TriggerAuthentication",
                "HorizontalPodAutoscaler", "Service", "Ingress", "ConfigMap", "NetworkPolicy"} <= kinds
        assert set(by_name(rendered, overlay, "Deployment")) == {*SERVICES, "gateway"}
        assert {o["kind"] for o in objects(rendered, overlay, "migrations")} == {"Job"}
        assert {o["metadata"].get("namespace") for o in objects(rendered, overlay)} == {"hgrip"}


def test_every_kubernetes_object_is_valid_for_its_schema(rendered):
    files = [str(path) for path, _ in rendered.values()]
    done = run(tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, *files)
    passed = len(re.findall(r"^INFO .* passed for resource ", done.stdout, re.M))
    others = [o for o in objects(rendered) if o["kind"] not in KEDA_KINDS]
    assert passed == len(others), done.stdout + done.stderr


def test_the_schema_check_is_strict(rendered, tmp_path):
    """A misspelt field fails: the validation above is not vacuous."""
    deployment = copy.deepcopy(by_name(rendered, "small", "Deployment")["backups"])
    container(deployment)["readinesProbe"] = container(deployment).pop("readinessProbe")
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(deployment))
    done = run(tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, str(tmp_path / "bad.yaml"),
               check=False)
    assert done.returncode != 0 and "readinesProbe" in done.stdout + done.stderr


def keda_validator(kind: str) -> jsonschema.Validator:
    schema = yaml.safe_load((K8S / "crds" / KEDA_SCHEMAS[kind]).read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_keda_objects_are_valid_for_kedas_crd_schemas(rendered):
    checked = 0
    for found in objects(rendered):
        if found["kind"] in KEDA_KINDS:
            errors = [e.message for e in keda_validator(found["kind"]).iter_errors(found)]
            assert not errors, f"{found['kind']}/{found['metadata']['name']}: {errors}"
            checked += 1
    assert checked == 2 * (len(SERVICES) + 1)   # a ScaledObject per service, and the authentication


def test_the_keda_schema_refuses_a_misspelt_field(rendered):
    scaled = copy.deepcopy(by_name(rendered, "small", "ScaledObject")["backups"])
    scaled["spec"]["maxReplicas"] = scaled["spec"].pop("maxReplicaCount")
    assert any("maxReplicas" in e.message for e in keda_validator("ScaledObject").iter_errors(scaled))


def test_checkov_finds_nothing_and_every_skip_is_justified(rendered):
    files = [arg for path, _ in rendered.values() for arg in ("-f", str(path))]
    done = run(tool("checkov"), *files, "--framework", "kubernetes", "--compact",
               "--skip-download", "-o", "json", check=False)
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}"
              for report in reports for c in report["results"]["failed_checks"]]
    assert not failed, "\n".join(failed)
    skipped = [c for report in reports for c in report["results"]["skipped_checks"]]
    assert skipped and all(len(c["check_result"].get("suppress_comment") or "") > 30 for c in skipped), skipped
    assert sum(report["summary"]["passed"] for report in reports) > 500


# --- what the manifests promise -------------------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_is_probed_by_hgrip_health(rendered, overlay):
    for name, deployment in by_name(rendered, overlay, "Deployment").items():
        main = container(deployment)
        assert main["command"] == ["hgrip", "serve", name]   # not the image's migrate-then-serve
        for probe in ("readinessProbe", "livenessProbe"):
            assert main[probe]["exec"]["command"][:3] == ["hgrip", "health", name], (name, probe)
            # hgrip health gives up after 5 s; the probe waits longer, so its own start-up fits too
            assert main[probe]["timeoutSeconds"] >= 8
        ready, live = main["readinessProbe"], main["livenessProbe"]
        # A restart is the last resort: liveness gives up far later than readiness takes a pod out.
        assert (live["periodSeconds"] * live["failureThreshold"]
                >= 5 * ready["periodSeconds"] * ready["failureThreshold"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_disruption_budget_selects_each_deployment_and_nothing_else(rendered, overlay):
    budgets = objects(rendered, overlay, kind="PodDisruptionBudget")
    pods = [(o["kind"], o["metadata"]["name"], o["spec"]["template"]["metadata"]["labels"])
            for o in objects(rendered, overlay) if o["kind"] in ("Deployment", "Job")]

    def selects(budget, labels):
        return budget["spec"]["selector"]["matchLabels"].items() <= labels.items()

    for kind, name, labels in pods:
        chosen = [b["metadata"]["name"] for b in budgets if selects(b, labels)]
        assert chosen == ([name] if kind == "Deployment" else []), (kind, name, chosen)
    for deployment in by_name(rendered, overlay, "Deployment").values():
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        assert "replicas" not in deployment["spec"]   # the autoscalers own the count


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_migration_job_per_service_with_the_deployments_image(rendered, overlay):
    jobs = by_name(rendered, overlay, "Job")
    deployments = by_name(rendered, overlay, "Deployment")
    assert set(jobs) == {f"migrate-{service}" for service in MIGRATING}
    for service in MIGRATING:
        job = jobs[f"migrate-{service}"]
        assert container(job)["command"] == ["hgrip", "migrate", service]
        assert container(job)["image"] == container(deployments[service])["image"], \
            f"overlays/{overlay} and its migrations name different releases"
        assert not container(job)["image"].endswith(":dev")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_is_literal(rendered, overlay):
    assert not objects(rendered, overlay, kind="Secret")
    for workload in objects(rendered, overlay):
        if workload["kind"] not in ("Deployment", "Job"):
            continue
        for variable in container(workload).get("env", []):
            if SECRET_VARIABLE.search(variable["name"]):
                reference = variable.get("valueFrom", {}).get("secretKeyRef", {})
                assert reference.get("name") == "hgrip-secrets" and "value" not in variable, variable
    for key, value in config_map(rendered, overlay).items():
        assert not SECRET_VARIABLE.search(key) and not re.search(r"://[^/@\s]*:[^/@\s]*@", value), key
    for source in K8S.rglob("kustomization.yaml"):
        listed = yaml.safe_load(source.read_text())
        included = [*listed.get("resources", []), *listed.get("bases", []), *listed.get("components", [])]
        assert not [name for name in included if "secret" in name], f"{source} includes a Secret"


def test_the_example_secret_holds_placeholders_only():
    example = yaml.safe_load((K8S / "secrets.example.yaml").read_text())
    assert example["kind"] == "Secret" and example["metadata"]["name"] == "hgrip-secrets"
    referenced = {v["valueFrom"]["secretKeyRef"]["key"]
                  for path in (K8S / "base").glob("*.yaml") for doc in yaml.safe_load_all(path.read_text())
                  if doc and doc.get("kind") == "Deployment" for v in container(doc)["env"] if "valueFrom" in v}
    assert referenced <= set(example["stringData"])
    for key, value in example["stringData"].items():
        assert "CHANGE-ME" in value, key


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_grace_period_outlasts_the_stop_timeout_and_the_longest_call(rendered, overlay):
    config = config_map(rendered, overlay)
    stop = float(config["HGRIP_STOP_TIMEOUT"])
    assert stop > float(config["HGRIP_GATEWAY_RPC_TIMEOUT"]) > float(config["HGRIP_PEER_RPC_TIMEOUT"])
    for name, deployment in by_name(rendered, overlay, "Deployment").items():
        pre_stop = container(deployment).get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
        pre_stop_seconds = float(pre_stop[1]) if pre_stop and pre_stop[0] == "sleep" else 0
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace >= pre_stop_seconds + stop + 5, f"{name}: {grace} s of grace"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_locked_down(rendered, overlay):
    for workload in objects(rendered, overlay):
        if workload["kind"] not in ("Deployment", "Job"):
            continue
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        own = container(workload)["securityContext"]
        assert own["readOnlyRootFilesystem"] is True and own["allowPrivilegeEscalation"] is False
        assert own["capabilities"]["drop"] == ["ALL"]
        var = {m["mountPath"]: m["name"] for m in container(workload)["volumeMounts"]}["/var/lib/hgrip"]
        assert "emptyDir" in {v["name"]: v for v in pod["volumes"]}[var]   # HGRIP_VAR stays writable


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_consumers_scale_on_their_real_queues_and_the_gateway_on_cpu(rendered, overlay):
    scaled = by_name(rendered, overlay, "ScaledObject")
    queues = service_queues()
    assert set(scaled) == set(SERVICES)
    for service, scaler in scaled.items():
        assert scaler["spec"]["scaleTargetRef"]["name"] == service
        named = {t["metadata"]["queueName"] for t in scaler["spec"]["triggers"]}
        assert named == queues[service], f"{service}: triggers on {sorted(named)}, consumes {sorted(queues[service])}"
        assert {t["type"] for t in scaler["spec"]["triggers"]} == {"rabbitmq"}
        assert {t["authenticationRef"]["name"] for t in scaler["spec"]["triggers"]} == {"hgrip-rabbitmq"}
        assert 2 <= scaler["spec"]["minReplicaCount"] < scaler["spec"]["maxReplicaCount"]
    (hpa,) = objects(rendered, overlay, kind="HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2" and hpa["spec"]["scaleTargetRef"]["name"] == "gateway"
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    (authentication,) = objects(rendered, overlay, kind="TriggerAuthentication")
    assert authentication["spec"]["secretTargetRef"] == [
        {"parameter": "host", "name": "hgrip-secrets", "key": "amqp-uri"}]


def test_the_gateway_is_behind_a_service_and_an_ingress(rendered):
    for overlay in OVERLAYS:
        (service,) = objects(rendered, overlay, kind="Service")
        (ingress,) = objects(rendered, overlay, kind="Ingress")
        gateway = container(by_name(rendered, overlay, "Deployment")["gateway"])
        assert service["spec"]["selector"].items() <= \
            by_name(rendered, overlay, "Deployment")["gateway"]["spec"]["template"]["metadata"]["labels"].items()
        assert service["spec"]["ports"][0]["targetPort"] in {p["name"] for p in gateway["ports"]}
        backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        assert backend["name"] == service["metadata"]["name"] and ingress["spec"]["tls"]


def test_the_large_overlay_is_larger(rendered):
    def cpu(text: str) -> float:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)

    small, large = (by_name(rendered, o, "Deployment") for o in OVERLAYS)
    for name in small:
        assert cpu(container(large[name])["resources"]["requests"]["cpu"]) > \
            cpu(container(small[name])["resources"]["requests"]["cpu"]), name
    assert by_name(rendered, "large", "ScaledObject")["backups"]["spec"]["maxReplicaCount"] > \
        by_name(rendered, "small", "ScaledObject")["backups"]["spec"]["maxReplicaCount"]
