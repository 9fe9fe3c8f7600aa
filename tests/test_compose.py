"""The server stack: docker-compose.yml, the Dockerfile and .env.example hold together.

There may be no Docker engine where the tests run: the YAML itself is checked here, and
`docker compose config` (or Compose v1's `docker-compose config`) validates the file where
that tool is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"db", "redis", "web", "worker", "beat", "mail"}
APP_SERVICES = {"web", "worker", "beat"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def required_variables() -> set[str]:
    """The variables compose refuses to start without (``${NAME:?message}``)."""
    text = (ROOT / "docker-compose.yml").read_text()
    return set(re.findall(r"\$\{(\w+):\?", text))


def example_env() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_the_stack_has_every_service_with_a_health_check(compose):
    assert set(compose["services"]) == SERVICES
    for name, service in compose["services"].items():
        check = service.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_there_is_exactly_one_beat(compose):
    beat = compose["services"]["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    assert beat.get("scale", 1) == 1
    assert "beat" in beat["command"]
    for name in SERVICES - {"beat"}:
        command = compose["services"][name].get("command") or []
        text = command if isinstance(command, str) else " ".join(command)
        assert " beat" not in text, f"{name} runs a beat too"


def test_redis_keeps_its_queue_and_never_evicts(compose):
    redis = compose["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert any(v.endswith(":/data") for v in redis["volumes"])


def test_data_lives_in_named_volumes(compose):
    assert {"pgdata", "redisdata"} <= set(compose["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    assert "redisdata:/data" in compose["services"]["redis"]["volumes"]


def test_no_secret_has_a_default(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    assert {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD"} <= required_variables()
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
        assert environment["DJANGO_DEBUG"] == "false"
    assert not re.search(r"SECRET_KEY:\s*\$\{DJANGO_SECRET_KEY:-", text)
    assert not re.search(r"POSTGRES_PASSWORD:-", text)


def test_the_web_service_migrates_then_serves_with_gunicorn(compose):
    web = compose["services"]["web"]
    command = " ".join(web["command"])
    assert command.index("migrate") < command.index("gunicorn klantbinding.wsgi")
    assert "/health" in " ".join(web["healthcheck"]["test"])
    # The worker and beat wait for the migrated database.
    for name in ("worker", "beat"):
        assert compose["services"][name]["depends_on"]["web"]["condition"] == "service_healthy"


def test_env_example_names_every_required_variable_and_holds_no_secret():
    values = example_env()
    assert required_variables() <= set(values)
    assert values["DJANGO_SECRET_KEY"] == ""
    assert values["POSTGRES_PASSWORD"] == ""


def test_the_dockerfile_copies_the_whole_tree_and_builds_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in dockerfile.splitlines()]
    copies = [line for line in lines if line.startswith("COPY")]
    assert copies == ["COPY . ."], "copy the tree, not app by app"
    assert lines.index("COPY . .") < lines.index("RUN pip install .")
    # The settings' default storage hashes and gzips: the build names no other one.
    assert "DJANGO_STATICFILES_STORAGE" not in dockerfile
    assert "collectstatic" in dockerfile and "compilemessages" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git", "var"} <= set(ignored)


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [docker, "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_accepts_the_file(tmp_path):
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed here")
    env_file = tmp_path / ".env"
    env_file.write_text(
        "DJANGO_SECRET_KEY=check-only\nPOSTGRES_PASSWORD=check\n"
        "DJANGO_ALLOWED_HOSTS=kb.example.com\nSITE_URL=https://kb.example.com\n"
    )
    base = [*command, "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml")]
    ok = subprocess.run(
        [*base, "--env-file", str(env_file), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    # Without a secret key, compose refuses.
    env_file.write_text("POSTGRES_PASSWORD=check\nDJANGO_ALLOWED_HOSTS=a\nSITE_URL=https://a\n")
    refused = subprocess.run(
        [*base, "--env-file", str(env_file), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert refused.returncode != 0
    assert "DJANGO_SECRET_KEY" in refused.stderr
