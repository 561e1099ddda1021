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
_databases: Databases | None = None
_made: dict[str, str] = {}  # a benchmark's database by its working directory


def database_url(workdir: str | Path) -> str:
    """The benchmark's own database (one per working directory): a fresh one on
    DATABASE_URL's server, else a SQLite file in `workdir`."""
    global _databases
    if not SERVER_URL:
        return f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
    if _databases is None:
        from tests.postgres import Databases  # one home for making throwaway databases

        _databases = Databases(SERVER_URL, prefix=f"upright_bench_{os.getpid()}")
        atexit.register(_drop_all)
    if str(workdir) not in _made:
        _made[str(workdir)] = _databases.create()
    return _made[str(workdir)]


def _drop_all() -> None:
    assert _databases is not None
    for url in _made.values():
        _databases.drop(url)
    _databases.close()


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
    workdir: Path, email: str, password: str, secret: str = "bench-secret"
) -> tuple[subprocess.Popen, str]:
    """gunicorn with 2 workers over the fresh migrated `database_url(workdir)`, with one
    patient."""
    url = database_url(workdir)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secret,
        "VAPID_PRIVATE_KEY_FILE": str(workdir / "vapid_private.pem"),
        "DEFAULT_TIMEZONE": "UTC",
    }
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*flask, "users", "create", "--email", email, "--password", password, "--timezone", "UTC"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "wsgi:app"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz")
    except RuntimeError:
        stop(server)
        raise
    return server, base


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
