"""The repository root on sys.path must never shadow the standard library's `platform`."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest
from http_helpers import free_port

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def run(*args: str, env: dict[str, str] | None = None, timeout: int = 60):
    return subprocess.run(
        args, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def test_this_pytest_run_imported_the_stdlib_platform():
    assert Path(platform.__file__).parent == STDLIB
    assert not (REPO / "platform" / "__init__.py").exists()


def test_python_in_the_repository_root_gets_the_stdlib_platform():
    result = run(
        sys.executable, "-c", "import platform; print(platform.system()); print(platform.__file__)"
    )
    assert result.returncode == 0, result.stderr
    system, location = result.stdout.split()
    assert system == "Linux"
    assert Path(location).parent == STDLIB


def test_package_folders_map_under_one_import_root():
    import pelvicoach.platform.app
    import pelvicoach.programs
    import pelvicoach.reporting
    import pelvicoach.tenants

    assert Path(pelvicoach.platform.app.__file__).parent == REPO / "platform"
    assert Path(pelvicoach.tenants.__file__).parent == REPO / "tenants"
    assert Path(pelvicoach.programs.__file__).parent == REPO / "programs"
    assert Path(pelvicoach.reporting.__file__).parent == REPO / "reporting"


def test_flask_cli_runs_from_the_repository_root():
    result = run(str(BIN / "flask"), "--app", "pelvicoach.platform.app", "routes")
    assert result.returncode == 0, result.stderr
    assert "/healthz" in result.stdout
    assert "db" in run(str(BIN / "flask"), "--app", "pelvicoach.platform.app", "--help").stdout


def test_rq_worker_runs_from_the_repository_root(redis_url):
    result = run(str(BIN / "rq"), "worker", "--burst", "--url", redis_url, "default")
    assert result.returncode == 0, result.stderr


def test_pelvicoach_worker_drains_the_queues(redis_url, database_url):
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(redis_url)
    job = Queue("low", connection=connection).enqueue("platform.system", job_id="drain-me")
    env = {**os.environ, "PELVICOACH_REDIS_URL": redis_url, "PELVICOACH_DATABASE_URL": database_url}
    result = run(str(BIN / "pelvicoach"), "worker", "--burst", env=env)
    assert result.returncode == 0, result.stderr
    assert job.get_status(refresh=True) == "finished"
    assert job.return_value() == "Linux"


def test_gunicorn_serves_the_app_from_the_repository_root(database_url):
    port = free_port()
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--config",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "pelvicoach.platform.wsgi:app",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PELVICOACH_DATABASE_URL": database_url},
    )
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        assert body is not None, process.stdout.read().decode() if process.poll() else "no answer"
        assert '"database":"ok"' in body
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("package", ["platform", "tenants", "programs", "reporting"])
def test_code_imports_only_through_the_pelvicoach_root(package):
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / package).rglob("*.py")
        for line in path.read_text().splitlines()
        if line.startswith(
            (
                "from platform",
                "import tenants",
                "from tenants",
                "from programs",
                "import programs",
                "from reporting",
                "import reporting",
            )
        )
    ]
    assert offenders == []


LAYERS = ["platform", "tenants", "programs", "reporting"]


@pytest.mark.parametrize("index", range(len(LAYERS)))
def test_each_layer_imports_only_the_layers_below_it(index):
    """platform -> tenants -> programs -> reporting; only the app factory sees every layer."""
    higher = [f"pelvicoach.{name}" for name in LAYERS[index + 1 :]]
    offenders = [
        f"{path.relative_to(REPO)}: {line.strip()}"
        for path in (REPO / LAYERS[index]).rglob("*.py")
        if path != REPO / "platform" / "app.py"
        for line in path.read_text().splitlines()
        if any(f"from {h}" in line or f"import {h}" in line for h in higher)
    ]
    assert offenders == []


BLUEPRINTS = ("portal", "clinician", "api", "editor", "desk")


def test_program_features_never_import_the_blueprints():
    """Features hold models and services; only the blueprint packages (and init_app) see them."""
    offenders = [
        f"{path.relative_to(REPO)}: {line.strip()}"
        for path in (REPO / "programs").rglob("*.py")
        if path.relative_to(REPO / "programs").parts[0] not in BLUEPRINTS
        and path != REPO / "programs" / "__init__.py"
        for line in path.read_text().splitlines()
        if any(f"pelvicoach.programs.{name}" in line for name in BLUEPRINTS)
    ]
    assert offenders == []


def test_the_wheel_carries_migrations_templates_translations_and_content(tmp_path):
    # Build from the files git knows, as CI and the image do, not from a tree with old build/.
    source = tmp_path / "source"
    listed = run("git", "ls-files", "--cached", "--others", "--exclude-standard").stdout.split()
    for name in listed:
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    import zipfile

    (wheel,) = tmp_path.glob("pelvicoach-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "pelvicoach/migrations/env.py",
        "pelvicoach/migrations/alembic.ini",
        "pelvicoach/migrations/script.py.mako",
        "pelvicoach/migrations/versions/0001_initial_schema.py",
        "pelvicoach/platform/app.py",
        "pelvicoach/platform/templates/base.html",
        "pelvicoach/platform/translations/nl/LC_MESSAGES/messages.mo",
        "pelvicoach/platform/data/common-passwords.txt",
        "pelvicoach/migrations/versions/0002_tenancy_security_audit_outbox.py",
        "pelvicoach/programs/content/program.toml",
        "pelvicoach/programs/content/intake.toml",
        "pelvicoach/programs/content/modules/anatomy.toml",
        "pelvicoach/programs/content/exercises/the-knack.toml",
        "pelvicoach/programs/content/illustrations/pelvic-floor-side.svg",
        "pelvicoach/programs/demo_data/care-providers.toml",
        "pelvicoach/programs/portal/templates/portal/home.html",
        "pelvicoach/programs/portal/static/player.js",
        "pelvicoach/programs/clinician/templates/clinician/patient.html",
        "pelvicoach/tenants/data/nl-postcode4.tsv",
        "pelvicoach/tenants/templates/staff/home.html",
        "pelvicoach/tenants/templates/console/tenant.html",
        "pelvicoach/tenants/admin/templates/admin/branding.html",
        "pelvicoach/tenants/admin/static/branding.js",
        "pelvicoach/programs/editor/templates/editor/edit.html",
        "pelvicoach/programs/demo_data/delinde-logo.png",
    ):
        assert expected in names
    assert "pelvicoach/platform/__init__.py" not in names
    revisions = [n for n in names if n.startswith("pelvicoach/migrations/versions/0")]
    assert len(revisions) == len({n.split("/")[-1].split("_")[0] for n in revisions})
    assert not any(name.startswith(("platform/", "tests/")) for name in names)
