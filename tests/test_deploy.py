"""The deployment files parse, and agree with the app on its entry points and settings."""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from pelvicoach.platform.jobs import QUEUES

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_kubernetes_manifests_run_every_process_with_its_settings():
    documents = list(yaml.safe_load_all((DEPLOY / "k8s" / "pelvicoach.yaml").read_text()))
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert {
        ("Deployment", "pelvicoach-web"),
        ("Deployment", "pelvicoach-worker"),
        ("Deployment", "pelvicoach-scheduler"),
        ("Job", "pelvicoach-migrate"),
        ("Ingress", "pelvicoach"),
    } <= kinds
    web = next(d for d in documents if d["metadata"]["name"] == "pelvicoach-web")
    container = web["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["PELVICOACH_BASE_DOMAIN"] == "pelvicoach.example"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    ingress = next(d for d in documents if d["kind"] == "Ingress")
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert {"pelvicoach.example", "*.pelvicoach.example"} <= hosts
    assert ingress["spec"]["tls"]


def test_compose_runs_web_worker_scheduler_after_migrations():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"migrate", "web", "worker", "scheduler", "db", "redis"} <= set(services)
    assert services["worker"]["command"] == ["pelvicoach", "worker"]
    assert services["scheduler"]["command"] == ["pelvicoach", "scheduler"]
    for name in ("web", "worker", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def test_the_image_serves_the_wsgi_entry_point():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert '"pelvicoach.platform.wsgi:app"' in dockerfile
    assert "USER pelvicoach" in dockerfile


def test_only_the_platform_processes_get_the_cross_tenant_role():
    """The web never holds the platform role's (or the owner's) credentials."""
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    web_env = services["web"]["environment"]
    assert "PELVICOACH_PLATFORM_DATABASE_URL" not in web_env
    assert "PELVICOACH_MIGRATION_DATABASE_URL" not in web_env
    assert "pelvicoach_app:" in web_env["PELVICOACH_DATABASE_URL"]
    for name in ("worker", "scheduler"):
        url = services[name]["environment"]["PELVICOACH_PLATFORM_DATABASE_URL"]
        assert "pelvicoach_platform:" in url
    migrate = services["migrate"]["environment"]
    assert migrate["PELVICOACH_DATABASE_APP_ROLE"] == "pelvicoach_app"
    assert migrate["PELVICOACH_DATABASE_PLATFORM_ROLE"] == "pelvicoach_platform"

    documents = list(yaml.safe_load_all((DEPLOY / "k8s" / "pelvicoach.yaml").read_text()))

    def secrets_of(name: str) -> set[str]:
        document = next(d for d in documents if d["metadata"]["name"] == name)
        (container,) = document["spec"]["template"]["spec"]["containers"]
        return {source["secretRef"]["name"] for source in container["envFrom"]}

    assert secrets_of("pelvicoach-web") == {"pelvicoach"}
    assert secrets_of("pelvicoach-worker") == {"pelvicoach", "pelvicoach-platform"}
    assert secrets_of("pelvicoach-worker-high") == {"pelvicoach", "pelvicoach-platform"}
    assert secrets_of("pelvicoach-scheduler") == {"pelvicoach", "pelvicoach-platform"}
    assert secrets_of("pelvicoach-migrate") == {"pelvicoach", "pelvicoach-migrate"}
    init = (DEPLOY / "postgres" / "init.sh").read_text()
    assert "CREATE ROLE pelvicoach_platform LOGIN" in init
    assert "NOBYPASSRLS" in init.split("CREATE ROLE pelvicoach_platform", 1)[1].splitlines()[0]


def test_no_password_is_written_into_the_deploy_files():
    """Every one comes from the environment, required (`${NAME:?...}`), none with a default."""
    compose = (DEPLOY / "compose.yaml").read_text()
    for url in re.findall(r"postgresql\+psycopg://[^\n]+", compose):
        assert re.fullmatch(r"postgresql\+psycopg://\w+:\$\{\w+:\?[^}]*\}@db:5432/\w+", url), url
    init = (DEPLOY / "postgres" / "init.sh").read_text()
    assert not re.search(r"PASSWORD '", init)
    assert init.count("PASSWORD :'") == 3


# The oldest Kubernetes the manifests are written for, and the newest the schemas know.
KUBERNETES = ("1.30.0", kubernetes_validate.latest_version())


def manifests() -> list[dict]:
    return list(yaml.safe_load_all((DEPLOY / "k8s" / "pelvicoach.yaml").read_text()))


@pytest.mark.parametrize("version", KUBERNETES)
def test_kubernetes_manifests_are_valid_against_the_schemas(version):
    """Offline, every field checked against Kubernetes' own OpenAPI schemas (no unknown field,
    no wrong type): what `kubectl apply --dry-run=server` would refuse fails here."""
    for document in manifests():
        kubernetes_validate.validate(document, version, strict=True)


def test_the_web_scales_and_keeps_enough_pods_through_disruptions():
    documents = manifests()
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in documents}
    deployments = [d for d in documents if d["kind"] == "Deployment"]
    hpa = by_kind[("HorizontalPodAutoscaler", "pelvicoach-web")]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "pelvicoach-web",
    }
    web = by_kind[("Deployment", "pelvicoach-web")]
    assert 2 <= hpa["minReplicas"] <= web["spec"]["replicas"] <= hpa["maxReplicas"]
    # Each budget selects the pods of a Deployment, and leaves one of them free to move
    for name in ("pelvicoach-web", "pelvicoach-worker"):
        budget = by_kind[("PodDisruptionBudget", name)]["spec"]
        wanted = budget["selector"]["matchLabels"]
        chosen = [
            d
            for d in deployments
            if wanted.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert chosen, name
        replicas = sum(d["spec"]["replicas"] for d in chosen)
        assert budget.get("minAvailable", 0) < replicas
    # Every process runs unprivileged, within limits; the web's probes are the app's
    for deployment in deployments:
        spec = deployment["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        for container in spec["containers"]:
            assert container["resources"]["limits"]["memory"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_workers_per_queue_cover_every_queue():
    """Each worker Deployment works queues the app has, and together they work all of them."""
    worked: set[str] = set()
    for document in manifests():
        if document["kind"] != "Deployment" or "worker" not in document["metadata"]["name"]:
            continue
        (container,) = document["spec"]["template"]["spec"]["containers"]
        command = container["command"]
        assert command[:2] == ["pelvicoach", "worker"]
        named = [command[n + 1] for n, word in enumerate(command) if word == "--queue"]
        assert set(named) <= set(QUEUES)
        worked |= set(named) or set(QUEUES)
    assert worked == set(QUEUES)


def test_no_secret_is_written_in_the_manifests():
    """Secrets come from the cluster operator's environment, never from these files."""
    documents = manifests()
    assert "Secret" not in {d["kind"] for d in documents}
    for document in documents:
        if document["kind"] not in ("Deployment", "Job"):
            continue
        for container in document["spec"]["template"]["spec"]["containers"]:
            for item in container.get("env", []):
                assert not any(
                    word in item["name"] for word in ("SECRET", "PASSWORD", "TOKEN", "KEY")
                ), item["name"]
                assert "://" not in item.get("value", ""), item["name"]  # no database URL


@pytest.mark.parametrize(
    ("uri", "logged"),
    [
        ("/t/linde/reset-password/geheim", "/t/linde/reset-password/***"),
        ("/t/linde/welcome/geheim?lang=en", "/t/linde/welcome/***"),
        ("/t/linde/join/verify/geheim", "/t/linde/join/verify/***"),
        ("/t/linde/invitation/geheim", "/t/linde/invitation/***"),
        ("/t/linde/unsubscribe/geheim", "/t/linde/unsubscribe/***"),
        ("/t/linde/calendar/geheim.ics", "/t/linde/calendar/***"),
        ("/t/linde/training", None),  # as it is
    ],
)
def test_the_proxys_access_log_leaves_the_secrets_of_links_out(uri, logged):
    """The map of deploy/nginx.conf.example, read as Python reads the same PCRE pattern."""
    conf = (DEPLOY / "nginx.conf.example").read_text()
    pattern, replacement = re.search(
        r'map \$request_uri \$loggable_uri \{\s*"(.+?)"\s*"(.+?)";', conf
    ).groups()
    found = re.match(pattern.removeprefix("~").replace("(?<", "(?P<"), uri)  # "~": a regex
    assert (found and replacement.replace("${kept}", found["kept"])) == (logged or None)
    assert "access_log /var/log/nginx/pelvicoach.log pelvicoach;" in conf
