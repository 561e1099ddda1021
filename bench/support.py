"""What the benchmarks share: the production server on loopback, and an in-process app.

The database engine: SQLite in a temporary directory by default. With `DATABASE_URL` naming a
PostgreSQL server (e.g. `postgresql+psycopg://user:password@host/postgres`, an account that
may create databases) each benchmark gets a fresh database on it, dropped when the run ends.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import requests
from sqlalchemy import create_engine, func, select, table
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from tests.postgres import Databases

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVER_URL = os.environ.get("DATABASE_URL")
_databases: dict[str, Databases] = {}  # by server URL
_made: dict[str, tuple[Databases, str]] = {}  # a benchmark's database by its working directory


def database_url(workdir: str | Path, server: str | None = SERVER_URL) -> str:
    """The benchmark's own database (one per working directory): a fresh one on the
    PostgreSQL `server` (DATABASE_URL's by default), else a SQLite file in `workdir`."""
    if not server:
        return f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
    if server not in _databases:
        from tests.postgres import Databases  # one home for making throwaway databases

        if not _databases:
            atexit.register(_drop_all)
        _databases[server] = Databases(server, prefix=f"upright_bench_{os.getpid()}")
    if str(workdir) not in _made:
        databases = _databases[server]
        _made[str(workdir)] = (databases, databases.create())
    return _made[str(workdir)][1]


def drop_database(workdir: str | Path) -> None:
    """Drops the PostgreSQL database made for `workdir` now (before its server goes away)."""
    made = _made.pop(str(workdir), None)
    if made is not None:
        made[0].drop(made[1])


def _drop_all() -> None:
    for databases, url in _made.values():
        databases.drop(url)
    for databases in _databases.values():
        databases.close()


def engine_name(url: str) -> str:
    return "SQLite" if make_url(url).get_backend_name() == "sqlite" else "PostgreSQL"


def count_rows(url: str, name: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(table(name))) or 0
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise RuntimeError(f"server did not start at {url}")


def start_production_server(
    workdir: Path,
    email: str,
    password: str,
    secret: str = "bench-secret",
    server: str | None = SERVER_URL,
) -> tuple[subprocess.Popen, str]:
    """gunicorn with 2 workers over the fresh migrated `database_url(workdir, server)`, with
    one patient."""
    env = server_env(workdir, database_url(workdir, server), secret)
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*flask, "users", "create", "--email", email, "--password", password, "--timezone", "UTC"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return start_gunicorn("wsgi:app", env, "/healthz")


def server_env(workdir: Path, url: str, secret: str) -> dict[str, str]:
    """The environment of a bench server process over the database `url`."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secret,
        "VAPID_PRIVATE_KEY_FILE": str(workdir / "vapid_private.pem"),
        "DEFAULT_TIMEZONE": "UTC",
    }


def start_gunicorn(app: str, env: dict[str, str], ready: str) -> tuple[subprocess.Popen, str]:
    """gunicorn with 2 workers serving `app` on a free loopback port, once `ready` answers."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         app],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}{ready}")
    except RuntimeError:
        stop(process)
        raise
    return process, base


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def bench_app(tmp: str | Path):
    """The app in-process, on a fresh database (tables made directly, as in the tests)."""
    from pwa import create_app
    from pwa.config import TestConfig

    fields = {
        "SQLALCHEMY_DATABASE_URI": database_url(tmp),
        "VAPID_PRIVATE_KEY_FILE": str(Path(tmp) / "vapid_private.pem"),
    }
    config = type("BenchConfig", (TestConfig,), fields)
    return create_app(config)
