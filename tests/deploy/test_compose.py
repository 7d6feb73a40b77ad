"""The district deployment (issue 8), checked without Docker: docker-compose.yml, the Dockerfile, .env.example.

This machine has no Docker engine, so the deployment cannot be started here. These tests read the
files instead: the compose file must be valid Compose (the Compose Specification's JSON schema,
vendored in tests/fixtures/), its services must wait for what they need, everything it mounts or
builds must exist in the repository, and the environment it gives Airflow must be what
bin/airflow, the DAGs and the installed Airflow expect. No database, no network.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator, Mapping
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from attendance_bridge.dev.embedded_postgres import parse_airflow_connection

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
# The Airflow plugin that serves the reports from the api-server, behind Airflow's login (issue 20).
REPORTS_PLUGIN = ROOT / "plugins" / "attendance_reports_plugin.py"
SCHEMA_FILE = ROOT / "tests" / "fixtures" / "compose-spec.json"

# The image's copy of the project (Dockerfile): dags/, plugins/, include/, expectations/ under it.
IMAGE_PROJECT_ROOT = PurePosixPath("/opt/attendance-bridge")
AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
)
LONG_RUNNING_AIRFLOW_SERVICES = tuple(name for name in AIRFLOW_SERVICES if name != "airflow-init")
# Services that do one thing and exit. A health check describes a container that keeps running;
# these are ready when they have exited with 0, which is what the services that need them wait for
# (condition service_completed_successfully).
ONE_SHOT_SERVICES = ("airflow-init", "sis-init", "sis-grants")
# Variables of .env.example that hold secrets: they must be empty there.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY$|TOKEN")
# The variables the init services add to the shared environment, and nothing else may differ.
AIRFLOW_INIT_EXTRA_ENV = {"AIRFLOW_ADMIN_USER", "AIRFLOW_ADMIN_PASSWORD"}
# Values the tests give the secrets that .env.example leaves empty (not real secrets).
TEST_SECRET_VALUE = "test-only-not-a-secret"

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR and the $$ escape, as
# Compose interpolates them (https://github.com/compose-spec/compose-spec/blob/main/spec.md#interpolation).
_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<invalid>))"
)


class MissingVariable(ValueError):
    """A ``${VAR:?message}`` whose variable is unset (or empty, with the colon): Compose stops."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def interpolate(text: str, env: Mapping[str, str], on_missing: Callable[[MissingVariable], None] | None = None) -> str:
    """``text`` with its variables replaced as Compose does; a required one that is missing raises."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        if name is None:
            raise ValueError(f"invalid interpolation (a lone $) in {text!r}")
        value, operator = env.get(name), match["operator"] or ""
        missing = not value if operator.startswith(":") else value is None
        if "$" in (match["argument"] or ""):
            raise ValueError(
                f"a variable inside ${{{name}...}}: this helper does not nest, and the compose file need not"
            )
        if operator.endswith("-"):
            return match["argument"] if missing else value
        if operator.endswith("?") and missing:
            error = MissingVariable(name, match["argument"])
            if on_missing is None:
                raise error
            on_missing(error)
        return value or ""

    return _INTERPOLATION.sub(replace, text)


def interpolated(node: Any, env: Mapping[str, str], on_missing: Callable[[MissingVariable], None] | None = None) -> Any:
    """Every string value of a parsed compose file interpolated (Compose leaves keys alone)."""
    if isinstance(node, dict):
        return {key: interpolated(value, env, on_missing) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolated(item, env, on_missing) for item in node]
    if isinstance(node, str):
        return interpolate(node, env, on_missing)
    return node


def strings(node: Any) -> Iterator[str]:
    """Every string value in a parsed YAML document."""
    if isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, str):
        yield node


def variables_read(node: Any) -> set[str]:
    """The names of the variables a parsed compose file interpolates."""
    return {
        match["braced"] or match["named"]
        for text in strings(node)
        for match in _INTERPOLATION.finditer(text)
        if match["braced"] or match["named"]
    }


def env_file_entries(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an env file, comments and blank lines skipped."""
    entries = {}
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, separator, value = stripped.partition("=")
        assert separator, f"{path.name}: not KEY=VALUE: {line!r}"
        entries[key.strip()] = value.strip().strip("'\"")
    return entries


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        instruction, _, arguments = text.partition(" ")
        instructions.append((instruction.upper(), " ".join(arguments.split())))
    return instructions


def volume_mounts(service: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A service's volumes in the long syntax: type (bind or volume), source, target, read_only."""
    mounts = []
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            mounts.append({"read_only": False, **entry})
            continue
        parts = entry.split(":")
        source, target = (parts[0], parts[1]) if len(parts) > 1 else (None, parts[0])
        options = parts[2].split(",") if len(parts) > 2 else []
        kind = "bind" if source and source.startswith((".", "/", "~")) else "volume"
        mounts.append({"type": kind, "source": source, "target": target, "read_only": "ro" in options})
    return mounts


def command_text(service: Mapping[str, Any]) -> str:
    """A service's entrypoint and command as one string."""
    parts = []
    for key in ("entrypoint", "command"):
        value = service.get(key)
        if isinstance(value, list):
            parts.extend(value)
        elif value:
            parts.append(value)
    return "\n".join(parts)


def setup_option(command: str, name: str) -> set[str]:
    """The values a service's database setup command gives the option ``name`` (``--name=value``)."""
    return set(re.findall(rf"--{name}=(\S+)", command))


@pytest.fixture(scope="module")
def raw_compose() -> dict[str, Any]:
    """docker-compose.yml as YAML, anchors and merge keys resolved, variables not yet interpolated."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return env_file_entries(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def deployment_env(env_example: dict[str, str]) -> dict[str, str]:
    """.env.example as a district fills it in: every empty secret given a (test) value."""
    return {
        name: (f"{TEST_SECRET_VALUE}-{name.lower()}" if SECRET_NAME.search(name) and not value else value)
        for name, value in env_example.items()
    }


@pytest.fixture(scope="module")
def compose(raw_compose: dict[str, Any], deployment_env: dict[str, str]) -> dict[str, Any]:
    """docker-compose.yml as Compose sees it with .env filled in."""
    return interpolated(raw_compose, deployment_env)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


@pytest.fixture(scope="module")
def airflow_env(compose: dict[str, Any]) -> dict[str, str]:
    """The environment every Airflow component shares (the x-airflow-common extension)."""
    return compose["x-airflow-common"]["environment"]


@pytest.fixture(scope="module")
def copied_to() -> dict[str, PurePosixPath]:
    """The Dockerfile's COPY instructions: repository path to its path in the image."""
    copies = {}
    for instruction, arguments in dockerfile_instructions(DOCKERFILE):
        if instruction == "COPY":
            *sources, destination = shlex.split(arguments)
            for source in sources:
                copies[source.rstrip("/")] = PurePosixPath(destination)
    return copies


# --- the interpolation the other tests rely on ---------------------------------------------------


def test_interpolation_follows_compose_rules_for_defaults_required_variables_and_escapes() -> None:
    env = {"SET": "value", "EMPTY": ""}
    assert interpolate("$$HOSTNAME and $${HOSTNAME}", env) == "$HOSTNAME and ${HOSTNAME}"
    assert interpolate("${SET}/${SET:-x}/${SET-x}/$SET", env) == "value/value/value/value"
    assert interpolate("${EMPTY:-default}|${EMPTY-default}|${UNSET-default}|${UNSET}", env) == "default||default|"
    with pytest.raises(ValueError, match="does not nest"):
        interpolate("${UNSET:-${SET}}", env)
    assert interpolate("${EMPTY?not raised: set, if empty}", env) == ""
    for text in ("${EMPTY:?set EMPTY}", "${UNSET?set UNSET}"):
        with pytest.raises(MissingVariable):
            interpolate(text, env)
    with pytest.raises(ValueError, match="lone"):
        interpolate("costs $5", env)


# --- the file itself ------------------------------------------------------------------------------


def test_compose_file_parses_as_yaml_with_services_and_named_volumes(raw_compose: dict[str, Any]) -> None:
    assert isinstance(raw_compose, dict)
    assert set(AIRFLOW_SERVICES) <= set(raw_compose["services"])
    assert {"airflow-db", "sis-db", "redis", "sis-init", "sis-grants"} <= set(raw_compose["services"])
    assert raw_compose["volumes"], "the shared folders and the databases live on named volumes"
    # The reports are served by the api-server (issue 20): no web server of their own, but their volume.
    assert "reports" not in raw_compose["services"] and "reports" in raw_compose["volumes"]


def test_compose_file_validates_against_the_compose_specification_schema(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    assert "draft-07" in schema["$schema"]
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(compose)]
    assert not errors, "\n".join(errors)
    # The schema is strict enough to catch a misspelt key, so passing it means something.
    broken = {
        **compose,
        "services": {**compose["services"], "redis": {**compose["services"]["redis"], "helthcheck": {}}},
    }
    assert not validator.is_valid(broken)


def test_every_image_is_pinned_to_an_exact_version(raw_compose: dict[str, Any]) -> None:
    for name, service in raw_compose["services"].items():
        image = service["image"]
        if "build" in service:
            assert image == "attendance-bridge:local", f"{name}: the project's image is built, not pulled"
            continue
        _, _, tag = image.partition(":")
        # PostgreSQL numbers its patch releases major.minor (18.1); the others major.minor.patch.
        assert re.fullmatch(r"\d+(\.\d+)+(-[a-z0-9]+)?", tag), f"{name}: {image} is not pinned to a patch release"
    base = [arguments for instruction, arguments in dockerfile_instructions(DOCKERFILE) if instruction == "FROM"]
    assert len(base) == 1 and re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base[0]), base


# --- order of starting ----------------------------------------------------------------------------


def test_every_depends_on_target_is_a_service(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for target in service.get("depends_on", {}):
            assert target in services, f"{name} depends on {target}, which is not a service"
            assert target != name


@pytest.mark.parametrize("name", LONG_RUNNING_AIRFLOW_SERVICES)
def test_airflow_components_wait_for_a_healthy_metadata_db_and_redis_and_a_completed_airflow_init(
    services: dict[str, Any], name: str
) -> None:
    depends_on = services[name]["depends_on"]
    assert depends_on["airflow-db"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["airflow-init"]["condition"] == "service_completed_successfully"


def test_workers_also_wait_for_the_api_server_and_the_sis_being_ready(services: dict[str, Any]) -> None:
    depends_on = services["airflow-worker"]["depends_on"]
    # Tasks talk to Airflow through the api-server's execution API, and read the SIS as the
    # pipeline's login, which sis-grants creates after sis-init has loaded the SIS tables.
    assert depends_on["airflow-apiserver"]["condition"] == "service_healthy"
    assert depends_on["sis-grants"]["condition"] == "service_completed_successfully"
    assert services["sis-grants"]["depends_on"]["sis-init"]["condition"] == "service_completed_successfully"
    assert services["sis-init"]["depends_on"]["sis-db"]["condition"] == "service_healthy"


def test_init_and_the_reports_reader_wait_for_what_they_need(services: dict[str, Any]) -> None:
    assert services["airflow-init"]["depends_on"] == {"airflow-db": {"condition": "service_healthy"}}
    # The api-server, which serves the reports, mounts their volume only after airflow-init made the
    # airflow user its owner.
    assert services["airflow-apiserver"]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"


def test_every_long_running_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if name in ONE_SHOT_SERVICES:
            continue
        check = service.get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no health check"
        assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1, name
        assert service.get("restart") == "always", f"{name} is not restarted when it stops"


def test_one_shot_services_exit_once_and_are_waited_for_to_complete(services: dict[str, Any]) -> None:
    waited_for = {
        target
        for service in services.values()
        for target, dependency in service.get("depends_on", {}).items()
        if dependency["condition"] == "service_completed_successfully"
    }
    assert waited_for == set(ONE_SHOT_SERVICES)
    for name in ONE_SHOT_SERVICES:
        assert services[name].get("restart") == "no", f"{name} would run again and again"
        assert "healthcheck" not in services[name]


# The Airflow components' probes are those of Airflow's own docker-compose file.
@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("airflow-apiserver", "curl --fail http://localhost:8080/api/v2/version"),
        ("airflow-scheduler", "curl --fail http://localhost:8974/health"),
        ("airflow-dag-processor", 'airflow jobs check --job-type DagProcessorJob --hostname "${HOSTNAME}"'),
        ("airflow-triggerer", 'airflow jobs check --job-type TriggererJob --hostname "${HOSTNAME}"'),
        (
            "airflow-worker",
            'celery --app airflow.providers.celery.executors.celery_executor.app inspect ping -d "celery@${HOSTNAME}"',
        ),
        ("redis", "redis-cli ping"),
        ("airflow-db", 'pg_isready -U "${POSTGRES_USER}" -d "${POSTGRES_DB}"'),
        ("sis-db", 'pg_isready -U "${POSTGRES_USER}" -d "${POSTGRES_DB}"'),
    ],
)
def test_each_service_is_health_checked_with_its_own_probe_command(
    services: dict[str, Any], name: str, check: str
) -> None:
    assert " ".join(services[name]["healthcheck"]["test"][1:]) == check


def test_the_scheduler_serves_the_health_check_it_is_checked_on(airflow_env: dict[str, str]) -> None:
    assert airflow_env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"].lower() == "true"


# --- what it mounts and builds --------------------------------------------------------------------


def test_every_bind_mount_build_context_dockerfile_and_env_file_exists_in_the_repo(services: dict[str, Any]) -> None:
    checked = []
    for name, service in services.items():
        for mount in volume_mounts(service):
            if mount["type"] == "bind":
                checked.append((name, mount["source"]))
        build = service.get("build")
        if build:
            context = build if isinstance(build, str) else build.get("context", ".")
            checked.append((name, context))
            if isinstance(build, dict):
                checked.append((name, str(Path(context) / build.get("dockerfile", "Dockerfile"))))
        env_files = service.get("env_file", [])
        for entry in [env_files] if isinstance(env_files, str | dict) else env_files:
            checked.append((name, entry if isinstance(entry, str) else entry["path"]))
    assert ("airflow-worker", ".") in checked and ("airflow-worker", "Dockerfile") in checked
    for name, path in checked:
        assert not Path(path).is_absolute(), f"{name}: {path} is a path of one machine, not of the repository"
        assert (ROOT / path).exists(), f"{name} mounts or builds {path}, which is not in the repository"


def test_every_named_volume_is_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    for name, service in services.items():
        for mount in volume_mounts(service):
            if mount["type"] == "volume":
                assert mount["source"], f"{name}: anonymous volume at {mount['target']} is not shared"
                assert mount["source"] in compose["volumes"], f"{name}: volume {mount['source']} is not declared"


def test_the_code_is_in_the_image_not_bind_mounted(services: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES + ("sis-init",):
        for mount in volume_mounts(services[name]):
            assert mount["type"] != "bind", f"{name} bind-mounts {mount['source']}: the code belongs in the image"


# --- the environment Airflow gets -----------------------------------------------------------------


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_services_share_one_environment(
    services: dict[str, Any], airflow_env: dict[str, str], name: str
) -> None:
    environment = services[name]["environment"]
    extra = AIRFLOW_INIT_EXTRA_ENV if name == "airflow-init" else set()
    assert set(environment) - set(airflow_env) == extra
    assert {key: environment[key] for key in airflow_env} == airflow_env
    assert services[name]["image"] == "attendance-bridge:local"


def test_the_shared_environment_is_a_yaml_anchor_so_one_edit_changes_every_component() -> None:
    text = COMPOSE_FILE.read_text()
    assert "environment: &airflow-env" in text
    for name in AIRFLOW_SERVICES:
        # The service's first key (after its comments) merges the common part.
        assert re.search(rf"^  {re.escape(name)}:\n(?:    #.*\n)*    <<: \*airflow-common$", text, re.MULTILINE), name


def test_the_executor_is_celery_with_redis_as_broker_and_the_metadata_db_as_result_backend(
    airflow_env: dict[str, str], services: dict[str, Any]
) -> None:
    assert airflow_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    broker = urlsplit(airflow_env["AIRFLOW__CELERY__BROKER_URL"])
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)
    metadata_db = services["airflow-db"]["environment"]
    for key, scheme in (
        ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql+psycopg"),
        ("AIRFLOW__CELERY__RESULT_BACKEND", "db+postgresql"),
    ):
        url = urlsplit(airflow_env[key])
        assert url.scheme == scheme, key
        assert (url.hostname, url.port, url.path) == ("airflow-db", 5432, f"/{metadata_db['POSTGRES_DB']}"), key
        assert (url.username, url.password) == (metadata_db["POSTGRES_USER"], metadata_db["POSTGRES_PASSWORD"]), key


def test_celery_workers_import_the_task_libraries_once_before_they_fork(airflow_env: dict[str, str]) -> None:
    # Issue 21: Celery imports its `imports` in the worker, before the pool and the task processes fork.
    from attendance_bridge.celery_config import CELERY_CONFIG, PRELOAD_MODULE

    module, _, name = airflow_env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"].rpartition(".")
    assert (module, name) == ("attendance_bridge.celery_config", "CELERY_CONFIG")
    assert PRELOAD_MODULE in CELERY_CONFIG["imports"]
    assert importlib.util.find_spec(PRELOAD_MODULE) is not None


def test_tasks_reach_the_execution_api_of_the_api_server_service(
    airflow_env: dict[str, str], services: dict[str, Any]
) -> None:
    url = urlsplit(airflow_env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert (url.scheme, url.hostname, url.port, url.path) == ("http", "airflow-apiserver", 8080, "/execution/")
    assert services["airflow-apiserver"]["command"] == ["airflow", "api-server"]
    assert any(port.endswith(":8080") for port in services["airflow-apiserver"]["ports"])


def test_every_component_has_the_same_keys_from_env(
    airflow_env: dict[str, str], deployment_env: dict[str, str]
) -> None:
    assert airflow_env["AIRFLOW__CORE__FERNET_KEY"] == deployment_env["AIRFLOW_FERNET_KEY"]
    assert airflow_env["AIRFLOW__API_AUTH__JWT_SECRET"] == deployment_env["AIRFLOW_JWT_SECRET"]
    assert airflow_env["AIRFLOW__API__SECRET_KEY"] == deployment_env["AIRFLOW_API_SECRET_KEY"]


def test_bin_airflows_settings_are_given_with_the_images_project_folders(airflow_env: dict[str, str]) -> None:
    exported = dict(
        re.findall(r'^export (AIRFLOW__\w+)="?([^"\n]*)"?$', (ROOT / "bin" / "airflow").read_text(), re.MULTILINE)
    )
    assert {"AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__PLUGINS_FOLDER", "AIRFLOW__CORE__LOAD_EXAMPLES"} <= set(
        exported
    )
    # UNIT_TEST_MODE is bin/airflow's own default of Airflow's (False); nothing to set in a deployment.
    exported.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
    for key, value in exported.items():
        # "${ATTENDANCE_BRIDGE_DAGS_FOLDER:-$root/dags}": an override (the benchmark's) and its default.
        default = re.sub(r"^\$\{\w+:-(.*)\}$", r"\1", value)
        assert airflow_env[key] == default.replace("$root", str(IMAGE_PROJECT_ROOT)), key


def test_dags_and_plugins_folders_are_where_the_dockerfile_copies_them(
    airflow_env: dict[str, str], copied_to: dict[str, PurePosixPath]
) -> None:
    assert PurePosixPath(airflow_env["AIRFLOW__CORE__DAGS_FOLDER"]) == copied_to["dags"] == IMAGE_PROJECT_ROOT / "dags"
    assert (
        PurePosixPath(airflow_env["AIRFLOW__CORE__PLUGINS_FOLDER"])
        == copied_to["plugins"]
        == IMAGE_PROJECT_ROOT / "plugins"
    )
    # config.PROJECT_ROOT is plugins/..: the SQL and the suites must sit beside plugins/.
    assert copied_to["include"] == IMAGE_PROJECT_ROOT / "include"
    assert copied_to["expectations"] == IMAGE_PROJECT_ROOT / "expectations"
    instructions = dockerfile_instructions(DOCKERFILE)
    env_lines = " ".join(arguments for instruction, arguments in instructions if instruction == "ENV")
    assert f"AIRFLOW__CORE__DAGS_FOLDER={copied_to['dags']}" in env_lines
    assert f"PYTHONPATH={copied_to['plugins']}" in env_lines


def test_the_demo_loader_the_sis_init_service_runs_is_copied_into_the_image(
    services: dict[str, Any], copied_to: dict[str, PurePosixPath]
) -> None:
    script = services["sis-init"]["command"][-1]
    assert copied_to["deploy/load_demo_district.py"] == PurePosixPath(script)
    assert (ROOT / "deploy" / "load_demo_district.py").is_file()


def test_the_sis_connection_is_the_pipeline_login_on_the_sis_db_service(
    airflow_env: dict[str, str], services: dict[str, Any]
) -> None:
    connection = parse_airflow_connection(airflow_env["AIRFLOW_CONN_SIS_DB"])
    sis_db = services["sis-db"]["environment"]
    assert connection.host == "sis-db" and connection.host in services
    assert connection.port == 5432
    assert connection.database == sis_db["POSTGRES_DB"]
    grants = services["sis-grants"]
    assert setup_option(command_text(grants), "login") == {connection.login}
    assert connection.login != sis_db["POSTGRES_USER"], "the pipeline must not connect as the database owner"
    assert connection.password == grants["environment"]["SIS_PIPELINE_PASSWORD"]
    assert setup_option(command_text(grants), "login-password-env") == {"SIS_PIPELINE_PASSWORD"}
    assert (grants["environment"]["PGHOST"], grants["environment"]["PGDATABASE"]) == ("sis-db", connection.database)
    loader = parse_airflow_connection(services["sis-init"]["environment"]["AIRFLOW_CONN_SIS_DB"])
    assert (loader.host, loader.database, loader.login, loader.password) == (
        "sis-db",
        connection.database,
        sis_db["POSTGRES_USER"],
        sis_db["POSTGRES_PASSWORD"],
    )


def test_the_schemas_airflow_uses_are_the_ones_the_pipeline_role_is_granted(
    airflow_env: dict[str, str], services: dict[str, Any]
) -> None:
    grants = command_text(services["sis-grants"])
    assert setup_option(grants, "pipeline-schema") == {airflow_env["ATTENDANCE_BRIDGE_SCHEMA"]}
    assert setup_option(grants, "sis-schema") == {airflow_env["ATTENDANCE_BRIDGE_SIS_SCHEMA"]}
    assert (
        services["sis-init"]["environment"]["ATTENDANCE_BRIDGE_SIS_SCHEMA"]
        == airflow_env["ATTENDANCE_BRIDGE_SIS_SCHEMA"]
    )
    # The setup is the project's own command, from the image the workers run (no mounted scripts).
    assert "attendance_bridge.database_setup" in grants
    assert services["sis-grants"]["image"] == services["airflow-worker"]["image"]
    assert (ROOT / "plugins" / "attendance_bridge" / "database_setup.py").is_file()
    roles, owners = setup_option(grants, "role"), setup_option(grants, "owner")
    assert len(roles) == len(owners) == 1 and roles != owners


def test_every_attendance_bridge_setting_the_code_reads_is_given_to_airflow(airflow_env: dict[str, str]) -> None:
    code = "\n".join(path.read_text() for path in (ROOT / "plugins").rglob("*.py"))
    read = set(re.findall(r'"(ATTENDANCE_BRIDGE_[A-Z_]+)"', code))
    assert {"ATTENDANCE_BRIDGE_STAGING", "ATTENDANCE_BRIDGE_REPORTS", "ATTENDANCE_BRIDGE_TIMEZONE"} <= read
    assert read <= set(airflow_env), sorted(read - set(airflow_env))


@pytest.mark.parametrize("setting", ["ATTENDANCE_BRIDGE_STAGING", "ATTENDANCE_BRIDGE_REPORTS"])
def test_staging_and_reports_are_file_urls_on_named_volumes_every_worker_shares(
    airflow_env: dict[str, str], services: dict[str, Any], setting: str
) -> None:
    url = urlsplit(airflow_env[setting])
    assert url.scheme == "file" and not url.netloc, airflow_env[setting]
    for name in AIRFLOW_SERVICES:
        mounted = {mount["target"]: mount for mount in volume_mounts(services[name])}
        mount = mounted.get(url.path)
        assert mount, f"{name} does not mount {url.path}"
        assert mount["type"] == "volume" and mount["source"] and not mount["read_only"], (name, mount)
    sources = {
        mount["source"]
        for name in AIRFLOW_SERVICES
        for mount in volume_mounts(services[name])
        if mount["target"] == url.path
    }
    assert len(sources) == 1, f"{url.path} is not one volume for all: {sources}"


def test_the_api_server_serves_the_reports_volume_the_workers_write_and_not_the_staging(
    airflow_env: dict[str, str], services: dict[str, Any]
) -> None:
    # The attendance_reports plugin reads its base from the api-server's own environment.
    reports_url = services["airflow-apiserver"]["environment"]["ATTENDANCE_BRIDGE_REPORTS"]
    assert reports_url == airflow_env["ATTENDANCE_BRIDGE_REPORTS"]
    reports_path = urlsplit(reports_url).path
    (reports_volume,) = {
        mount["source"] for mount in volume_mounts(services["airflow-worker"]) if mount["target"] == reports_path
    }
    mounts = {mount["target"]: mount for mount in volume_mounts(services["airflow-apiserver"])}
    assert mounts[reports_path]["type"] == "volume" and mounts[reports_path]["source"] == reports_volume
    # The plugin serves the reports base only: the staged frames are not under it, nor it under them.
    staging_path = PurePosixPath(urlsplit(airflow_env["ATTENDANCE_BRIDGE_STAGING"]).path)
    reports = PurePosixPath(reports_path)
    assert not staging_path.is_relative_to(reports) and not reports.is_relative_to(staging_path)
    staging_volume = {
        m["source"] for m in volume_mounts(services["airflow-worker"]) if m["target"] == str(staging_path)
    }
    assert staging_volume and reports_volume not in staging_volume


def test_only_the_api_server_publishes_a_port_and_no_other_service_mounts_the_reports_with_one(
    airflow_env: dict[str, str], services: dict[str, Any]
) -> None:
    reports_path = urlsplit(airflow_env["ATTENDANCE_BRIDGE_REPORTS"]).path
    (reports_volume,) = {
        mount["source"] for mount in volume_mounts(services["airflow-worker"]) if mount["target"] == reports_path
    }
    # The reports name students: they are reached only through Airflow's login.
    for name, service in services.items():
        if name == "airflow-apiserver" or not service.get("ports"):
            continue
        sources = {mount["source"] for mount in volume_mounts(service)}
        assert reports_volume not in sources, f"{name} publishes a port and mounts the reports volume"
    assert {name for name, service in services.items() if service.get("ports")} == {"airflow-apiserver"}
    # No web server beside Airflow: no nginx, no port of one.
    for name, service in services.items():
        assert "nginx" not in str(service.get("image", "")), f"{name} runs nginx"
        assert not any("nginx" in text for text in strings(service)), f"{name} mentions nginx"
    assert not (ROOT / "deploy" / "nginx").exists()


def test_the_reports_plugin_is_in_the_image_in_the_plugins_folder_airflow_loads(
    airflow_env: dict[str, str], copied_to: dict[str, PurePosixPath]
) -> None:
    assert REPORTS_PLUGIN.is_file()
    source = REPORTS_PLUGIN.read_text()
    assert "class AttendanceReportsPlugin(AirflowPlugin)" in source
    assert 'URL_PREFIX = "/attendance-reports"' in source
    relative = REPORTS_PLUGIN.relative_to(ROOT / "plugins")
    in_image = copied_to["plugins"] / PurePosixPath(*relative.parts)
    assert in_image.parent == PurePosixPath(airflow_env["AIRFLOW__CORE__PLUGINS_FOLDER"])
    # Nor does .dockerignore leave it (or the app it mounts) out of the build context. fnmatch's * also
    # matches a slash, so this errs towards finding a match.
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(pattern.startswith("!") for pattern in patterns), "re-inclusions: check by hand"
    for path in (REPORTS_PLUGIN, ROOT / "plugins" / "attendance_bridge" / "ui" / "reports_app.py"):
        parts = path.relative_to(ROOT).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        ignored = [(pattern, prefix) for pattern in patterns for prefix in prefixes if fnmatch(prefix, pattern)]
        assert not ignored, f".dockerignore leaves {path.relative_to(ROOT)} out of the image: {ignored}"


def test_the_login_is_the_admin_from_env_with_its_password_file_shared_by_init_and_api_server_only(
    airflow_env: dict[str, str], services: dict[str, Any], deployment_env: dict[str, str]
) -> None:
    assert airflow_env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == f"{deployment_env['AIRFLOW_ADMIN_USER']}:admin"
    folder = str(PurePosixPath(airflow_env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).parent)
    holders = {
        name
        for name, service in services.items()
        for mount in volume_mounts(service)
        if mount["target"] == folder and mount["type"] == "volume"
    }
    assert holders == {"airflow-init", "airflow-apiserver"}
    init = services["airflow-init"]
    assert init["environment"]["AIRFLOW_ADMIN_PASSWORD"] == deployment_env["AIRFLOW_ADMIN_PASSWORD"]
    assert "SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" in command_text(init) and "airflow db migrate" in command_text(init)


def test_airflow_options_set_in_compose_exist_in_the_installed_airflow(services: dict[str, Any]) -> None:
    # conf.has_option() is False for options whose default is None (result_backend, the passwords
    # file) and True for anything set in this process's environment, so the check is against the
    # options Airflow and its installed providers describe.
    from airflow.configuration import conf

    described = conf.configuration_description
    options = {
        key for service in services.values() for key in service.get("environment", {}) if key.startswith("AIRFLOW__")
    }
    assert len(options) > 10
    unknown = []
    for option in sorted(options):
        section, key = option.removeprefix("AIRFLOW__").lower().split("__", 1)
        if key not in described.get(section, {}).get("options", {}):
            unknown.append(option)
    assert not unknown, f"not options of the installed Airflow or its providers: {unknown}"


# --- secrets --------------------------------------------------------------------------------------


def test_every_variable_compose_reads_is_listed_in_env_example(
    raw_compose: dict[str, Any], env_example: dict[str, str]
) -> None:
    read = variables_read(raw_compose)
    assert {"AIRFLOW_FERNET_KEY", "SIS_PIPELINE_PASSWORD"} <= read
    assert not read - set(env_example), sorted(read - set(env_example))
    assert not set(env_example) - read, f"listed but never read: {sorted(set(env_example) - read)}"


def test_env_example_as_it_is_makes_compose_refuse_to_start_naming_each_missing_secret(
    raw_compose: dict[str, Any], env_example: dict[str, str]
) -> None:
    missing: list[MissingVariable] = []
    interpolated(raw_compose, env_example, missing.append)
    secrets = {name for name in env_example if SECRET_NAME.search(name)}
    assert {error.name for error in missing} == secrets
    for error in missing:
        assert f"set {error.name} in .env" in str(error)


def test_env_example_commits_no_secret_and_says_how_to_make_each(env_example: dict[str, str]) -> None:
    secrets = sorted(name for name in env_example if SECRET_NAME.search(name))
    assert len(secrets) >= 6
    assert not {name: env_example[name] for name in secrets if env_example[name]}, "a secret value in .env.example"
    lines = ENV_EXAMPLE.read_text().splitlines()
    for name in secrets:
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{name}="))
        while not lines[index].startswith("#"):
            index -= 1  # the comment of a group of settings covers each of them
        comment = []
        while index >= 0 and lines[index].startswith("#"):
            comment.append(lines[index])
            index -= 1
        assert any("python -c" in line for line in comment), f"{name}: no command to make it"


def test_compose_writes_no_credential_itself(raw_compose: dict[str, Any]) -> None:
    for text in strings(raw_compose):
        for password in re.findall(r"://[^:/@\s]+:(\$\{[^}]*\}|[^@\s]*)@", text) + re.findall(
            r'"password": "([^"]*)"', text
        ):
            assert password.startswith("${") and password.endswith("}"), f"a literal password in {text!r}"
    for name, service in raw_compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|FERNET_KEY", key) and not key.endswith("_FILE"):
                assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", value), f"{name}: {key} is not a required variable from .env"


def test_env_is_ignored_by_git_and_not_committed() -> None:
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines(), "the secrets must not go into the image"
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files", ".env"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert tracked.stdout == ""


# --- scaling and installing -----------------------------------------------------------------------


def test_workers_scale_with_no_container_name_and_no_fixed_host_port(services: dict[str, Any]) -> None:
    worker = services["airflow-worker"]
    assert worker["command"] == ["airflow", "celery", "worker"]
    for key in ("container_name", "ports", "hostname"):
        assert key not in worker, f"airflow-worker sets {key}: a second worker could not start"


def test_the_dockerfile_installs_requirements_txt_at_build_time(copied_to: dict[str, PurePosixPath]) -> None:
    instructions = dockerfile_instructions(DOCKERFILE)
    requirements = str(copied_to["requirements.txt"])
    pip_install = re.compile(rf"pip install .*-r {re.escape(requirements)}\b")
    install_index = next(
        (
            i
            for i, (instruction, arguments) in enumerate(instructions)
            if instruction == "RUN" and pip_install.search(arguments)
        ),
        None,
    )
    assert install_index is not None, f"no RUN pip install -r {requirements}"
    copy_index = next(
        i
        for i, (instruction, arguments) in enumerate(instructions)
        if instruction == "COPY" and "requirements.txt" in arguments
    )
    assert copy_index < install_index
    # Nothing is installed when a container starts: not by the image's own command...
    for instruction, arguments in instructions:
        if instruction in ("CMD", "ENTRYPOINT"):
            assert "pip" not in arguments and "install" not in arguments


def test_no_service_installs_packages_when_it_starts(raw_compose: dict[str, Any]) -> None:
    # ...nor by any service's command (Airflow's own compose file has _PIP_ADDITIONAL_REQUIREMENTS).
    for name, service in raw_compose["services"].items():
        command = command_text(service)
        assert not re.search(r"\bpip\b|\buv\b|apt-get|apk add", command), f"{name} installs at start: {command}"
        assert not any(re.search(r"(^|_)PIP_", key) for key in service.get("environment") or {}), name
