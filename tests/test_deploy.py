"""The deployment files parse, and agree with the app on its entry points and settings."""

from __future__ import annotations

from pathlib import Path

import yaml

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
    assert secrets_of("pelvicoach-scheduler") == {"pelvicoach", "pelvicoach-platform"}
    assert secrets_of("pelvicoach-migrate") == {"pelvicoach", "pelvicoach-migrate"}
    init = (DEPLOY / "postgres" / "init.sql").read_text()
    assert "CREATE ROLE pelvicoach_platform LOGIN" in init
    assert "NOBYPASSRLS" in init.split("pelvicoach_platform", 1)[1].splitlines()[0]
