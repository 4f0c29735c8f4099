"""The files in deploy/: what they must hold, checked by the real tools where this machine
has them (``docker compose config``, ``caddy adapt``, ``systemd-analyze verify``; skipped with
the reason where not) and by reading them (a small Dockerfile lint: hadolint is not on
Debian)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from consultbot.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_ENV = {"POSTGRES_PASSWORD": "pw", "CONSULTBOT_HOST": "bot.example.org",
               "ACME_EMAIL": "it@example.org"}


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments out."""
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in dockerfile.read_text().splitlines()
        if not line.lstrip().startswith("#")))
    return [(word.upper(), rest.strip()) for word, _, rest in
            (line.strip().partition(" ") for line in joined.splitlines() if line.strip())]


def stages(dockerfile: Path) -> list[list[tuple[str, str]]]:
    """The build stages, each from its FROM."""
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions(dockerfile):
        if instruction[0] == "FROM":
            found.append([])
        found[-1].append(instruction)
    return found


def test_the_image_is_slim_non_root_checked_and_without_dev_tools() -> None:
    *_, final = stages(DEPLOY / "Dockerfile")
    everything = instructions(DEPLOY / "Dockerfile")
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?", final[0][1]), final[0]
    users = [args for name, args in final if name == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}, users
    names = [name for name, _ in final]
    assert names.index("USER") < names.index("CMD")
    [check] = [args for name, args in final if name == "HEALTHCHECK"]
    assert "/healthz" in check and "CMD" in check
    installs = " ".join(args for name, args in everything if name == "RUN")
    assert "--require-hashes -r requirements/runtime.lock" in installs  # the locked versions
    assert "--no-deps ." in installs
    assert not re.search(r"\[dev\]|pytest|playwright|ruff|mypy|hypothesis|respx", installs)
    copied = [shlex.split(args)[:-1] for name, args in everything if name == "COPY"
              and not args.startswith("--from")]
    sources = {source for sources in copied for source in sources}
    assert not sources & {".", ".env", "var", "tests", ".venv"}, sources
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["packages"]["find"]["include"]
    assert {p.rstrip("*") for p in packages} <= sources  # no package left out of the image
    [cmd] = [json.loads(args) for name, args in final if name == "CMD"]
    assert cmd[:2] == ["consultbot", "serve"]


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def role(command: list[str]) -> str | None:
    """The --role of a ``consultbot serve`` command line (checked by the real parser)."""
    if command[:2] != ["consultbot", "serve"]:
        return None
    return str(build_parser().parse_args(command[1:]).role)


def test_compose_runs_web_processes_one_worker_one_poller_behind_caddy() -> None:
    services = compose()["services"]
    roles: dict[str, list[str]] = {}
    for name, service in services.items():
        given = role(service.get("command") or [])
        if given is not None:
            roles.setdefault(given, []).append(name)
    assert len(roles["web"]) >= 2 and len(roles["worker"]) == 1 and len(roles["telegram"]) == 1
    assert "all" not in roles
    upstreams = services["caddy"]["environment"]["CONSULTBOT_UPSTREAMS"].split()
    assert sorted(upstreams) == sorted(f"{name}:8000" for name in roles["web"])
    for name in roles["web"]:
        assert "ports" not in services[name]  # only Caddy reaches them
        environment = services[name]["environment"]
        assert environment["TRUSTED_PROXIES"] == "1"
        assert environment["DATA_KEY_FILE"].startswith("/run/secrets/")
        assert environment["DATABASE_URL"].startswith("postgresql://")
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
    for name in (*roles["worker"], *roles["telegram"]):
        assert services[name]["healthcheck"] == {"disable": True}  # no HTTP there
    assert services["migrate"]["command"] == ["consultbot", "db", "upgrade"]


def test_docker_compose_config_accepts_the_file() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker client on this machine")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed (Debian does not package it)")
    done = subprocess.run([docker, "compose", "-f", str(DEPLOY / "compose.yaml"), "config"],
                          env={**os.environ, **COMPOSE_ENV}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "web2" in done.stdout


def caddy_json(**environment: str) -> dict:  # type: ignore[type-arg]
    caddy = shutil.which("caddy")
    if caddy is None:
        if os.environ.get("REQUIRE_CADDY"):
            pytest.fail("REQUIRE_CADDY is set but caddy is not installed")
        pytest.skip("no caddy (apt-get install caddy)")
    done = subprocess.run([caddy, "adapt", "--config", str(DEPLOY / "Caddyfile"),
                           "--adapter", "caddyfile"], env={**os.environ, **environment},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_caddyfile_proxies_to_every_web_process_with_tls() -> None:
    config = caddy_json(CONSULTBOT_HOST="bot.example.org", CADDY_TLS="it@example.org",
                        CONSULTBOT_UPSTREAMS="web1:8000 web2:8000")
    text = json.dumps(config)
    [server] = config["apps"]["http"]["servers"].values()
    assert server["listen"] == [":443"]
    assert '"handler": "reverse_proxy"' in text
    assert '"dial": "web1:8000"' in text and '"dial": "web2:8000"' in text
    assert '"uri": "/healthz"' in text
    assert '"email": "it@example.org"' in text  # certificates from an ACME CA
    assert config["apps"]["pki"]["certificate_authorities"]["local"]["install_trust"] is False


def test_the_caddyfile_needs_its_tls_choice() -> None:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("no caddy (apt-get install caddy)")
    done = subprocess.run([caddy, "adapt", "--config", str(DEPLOY / "Caddyfile")],
                          env={**os.environ, "CONSULTBOT_HOST": "bot.example.org",
                               "CONSULTBOT_UPSTREAMS": "web1:8000"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0  # CADDY_TLS unset: refused, not a silent default


UNITS = ("consultbot-web@.service", "consultbot-worker.service",
         "consultbot-telegram.service", "consultbot-migrate.service")


def exec_start(unit: str) -> list[str]:
    [line] = [line for line in (DEPLOY / "systemd" / unit).read_text().splitlines()
              if line.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def test_systemd_units_run_each_role_with_the_key_as_a_credential() -> None:
    commands = {unit: exec_start(unit) for unit in UNITS}
    web = commands["consultbot-web@.service"]
    assert "%i" in web  # the instance is the port
    assert role(["consultbot", *(part.replace("%i", "8001") for part in web[1:])]) == "web"
    assert role(["consultbot", *commands["consultbot-worker.service"][1:]]) == "worker"
    assert role(["consultbot", *commands["consultbot-telegram.service"][1:]]) == "telegram"
    assert commands["consultbot-migrate.service"][1:] == ["db", "upgrade"]
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text()
        assert "LoadCredential=data_key:/etc/consultbot/data.key" in text
        assert "Environment=DATA_KEY_FILE=%d/data_key" in text
        assert re.search(r"^User=consultbot$", text, re.MULTILINE)
    assert "Restart=on-failure" in (DEPLOY / "systemd" / "consultbot-telegram.service").read_text()


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("no systemd-analyze on this machine")
    here = Path(sys.executable).parent / "consultbot"  # this install's
    for path in (DEPLOY / "systemd").glob("consultbot*"):  # point ExecStart at a real file
        (tmp_path / path.name).write_text(
            path.read_text().replace("/opt/consultbot/venv/bin/consultbot", str(here)))
    names = ["consultbot-web@8001.service", *UNITS[1:], "consultbot.target"]
    done = subprocess.run([analyze, "verify", "--man=no", *(str(tmp_path / n) for n in names)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if "consultbot" in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr
