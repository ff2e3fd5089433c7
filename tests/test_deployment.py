"""The deployment files agree with the code.

docker-compose.yml, Dockerfile, .env.example, README.md and dev.py are checked against what
the project really has: each service's command names a real entry point (ASGI app, Celery
app, management command), each environment variable is one settings.py reads, published
ports match the ports the commands listen on, and the README keeps its two-command contract.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

INFRA_SERVICES = {"postgres", "redis"}
APP_SERVICES = {"migrate", "web", "worker", "beat", "trapd"}

# Variables in the env file that settings.py does not read, with who does.
NOT_FOR_SETTINGS = {
    "POSTGRES_PASSWORD": "docker-compose.yml: the postgres service and DATABASE_URL",
}


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


def services() -> dict[str, dict[str, Any]]:
    found = load_compose()["services"]
    assert isinstance(found, dict)
    return found


def argv(service: str) -> list[str]:
    command = services()[service]["command"]
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def settings_env_vars() -> set[str]:
    """Names settings.py reads: env.<cast>("NAME", ...), env("NAME"), "NAME" in env."""
    source = (ROOT / "unms" / "settings.py").read_text()
    read = re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source)
    tested = re.findall(r"\"([A-Z][A-Z0-9_]*)\"\s+(?:not\s+)?in\s+env\b", source)
    return set(read) | set(tested)


def env_example_vars() -> set[str]:
    """Variables in .env.example, including the commented-out examples."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))


def option(args: list[str], name: str) -> str:
    assert name in args, f"{name} missing from {args}"
    return args[args.index(name) + 1]


# --- services and their entry points ------------------------------------------------------


def test_compose_has_the_planned_services() -> None:
    assert set(services()) == INFRA_SERVICES | APP_SERVICES


@pytest.mark.parametrize("service", sorted(APP_SERVICES))
def test_app_services_share_the_image_env_file_and_wait_for_their_dependencies(
    service: str,
) -> None:
    spec = services()[service]
    assert spec["build"] == "."
    assert spec["env_file"] in (".env", [".env"])
    assert spec["environment"]["DATABASE_URL"].endswith("@postgres:5432/unms")
    assert spec["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    depends = spec["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    if service != "migrate":
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_postgres_and_redis_have_healthchecks_and_pinned_majors() -> None:
    found = services()
    assert found["postgres"]["image"] == "postgres:16"
    assert found["redis"]["image"] == "redis:7"
    assert any("/var/lib/postgresql/data" in v for v in found["postgres"]["volumes"])
    for name in INFRA_SERVICES:
        assert found[name]["healthcheck"]["test"], name
        assert "ports" not in found[name], f"{name} must not be published on the host"


@pytest.mark.parametrize("service", ["migrate", "trapd"])
def test_manage_py_commands_exist(service: str) -> None:
    args = argv(service)
    assert args[:2] == ["python", "manage.py"]
    name = args[2]
    assert name in get_commands(), f"manage.py {name} does not exist"


def test_web_runs_the_asgi_application_with_uvicorn() -> None:
    args = argv("web")
    assert args[0] == "uvicorn"
    assert importlib.util.find_spec("uvicorn") is not None
    assert args[1] == "unms.asgi:application"
    module, attr = args[1].split(":")
    application = getattr(importlib.import_module(module), attr)
    assert callable(application)


@pytest.mark.parametrize(("service", "subcommand"), [("worker", "worker"), ("beat", "beat")])
def test_celery_services_find_the_project_app(service: str, subcommand: str) -> None:
    args = argv(service)
    assert args[0] == "celery"
    assert args[args.index("-A") + 2] == subcommand
    # The same lookup `celery -A unms` does: unms -> unms.celery -> app.
    app = find_app(option(args, "-A"))
    assert isinstance(app, Celery)
    assert app is importlib.import_module("unms.celery").app


def test_beat_schedule_names_registered_tasks() -> None:
    from django.conf import settings

    app = importlib.import_module("unms.celery").app
    try:
        app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks
    except Exception as exc:
        pytest.fail(f"a worker would not start: importing the task modules raised {exc!r}")
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule
    missing = {entry["task"] for entry in schedule.values()} - set(app.tasks)
    assert not missing, f"beat would send tasks no worker has: {sorted(missing)}"


def test_published_ports_match_what_the_commands_listen_on() -> None:
    assert services()["web"]["ports"] == [f"8000:{option(argv('web'), '--port')}"]
    host, port = option(argv("trapd"), "--bind").rsplit(":", 1)
    assert host == "0.0.0.0"
    assert services()["trapd"]["ports"] == [f"{port}:{port}/udp"]


# --- environment variables ------------------------------------------------------------------


def test_env_vars_given_to_the_app_are_read_by_settings() -> None:
    read = settings_env_vars()
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"} <= read
    given = set(env_example_vars())
    for service in APP_SERVICES:
        given |= set(services()[service]["environment"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    given |= set(re.findall(r"\b((?:DJANGO|UNMS)_[A-Z0-9_]+)=", dockerfile))
    unknown = given - read - set(NOT_FOR_SETTINGS)
    assert not unknown, f"set for the app but never read by unms/settings.py: {sorted(unknown)}"


def test_compose_interpolations_are_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    assert used <= env_example_vars()


def test_every_settings_env_var_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    undocumented = {name for name in settings_env_vars() if f"`{name}`" not in readme}
    assert not undocumented, f"add to README.md's configuration table: {sorted(undocumented)}"


# --- image --------------------------------------------------------------------------------


def test_dockerfile_builds_a_non_root_image_with_collected_static_files() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert "collectstatic --noinput" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users, "the image must switch to a non-root USER"
    assert users[-1] not in {"root", "0"}
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".env"} <= set(ignored)


def compose_cli() -> list[str] | None:
    """`docker compose` (v2 plugin) if the CLI has it, else a standalone `docker-compose`."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone else None


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    cli = compose_cli()
    if cli is None:
        if os.environ.get("UNMS_REQUIRE_COMPOSE"):
            pytest.fail(
                "UNMS_REQUIRE_COMPOSE is set but neither `docker compose` nor docker-compose exists"
            )
        pytest.skip("no `docker compose` plugin (nor docker-compose) to run `config -q` with")
    for name in ("docker-compose.yml", "Dockerfile", ".dockerignore"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    result = subprocess.run([*cli, "config", "-q"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- the README contract and dev.py ----------------------------------------------------------


def test_readme_opens_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines[0].startswith("# ")
    block_start = lines.index("```sh")
    assert block_start <= 3
    assert lines[block_start + 1 : block_start + 4] == [
        "python3 dev.py demo",
        "python3 dev.py test",
        "```",
    ]


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    assert re.search(r'"\$python" dev\.py test\b', script)


def test_dev_py_reinstalls_only_when_pyproject_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dev

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    monkeypatch.setattr(dev, "ROOT", tmp_path)
    first = dev.install_fingerprint()
    assert dev.install_fingerprint() == first
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "y"\n')
    assert dev.install_fingerprint() != first


def test_dev_py_plans_every_step_for_test_and_only_some_for_the_others() -> None:
    import dev

    def names(**kwargs: bool) -> list[str]:
        return [name for name, _ in dev.steps(["-x"], **kwargs)]

    assert names(tests=True, lint=True) == ["pytest", "ruff check", "ruff format", "mypy"]
    assert names(tests=True, lint=False) == ["pytest"]
    assert names(tests=False, lint=True) == ["ruff check", "ruff format", "mypy"]
    assert dev.steps(["-x"], tests=True, lint=False)[0][1][-1] == "-x"
