"""A throwaway PostgreSQL server for a test run, and a fresh database per test on any server.

`Cluster` runs `initdb` into a temporary directory and starts a server that listens only on a
Unix socket in that directory (no TCP port, nothing else on the machine can reach it), with
durability switched off because nothing in it outlives the run; `stop()` removes it all.
PostgreSQL refuses to run as root, so under root (as in CI) the server runs as the `postgres`
user (or `nobody`) through `runuser`; the tests still connect as the superuser `postgres`, which
the socket's `trust` authentication lets in.

The binaries come from PATH or Debian's `/usr/lib/postgresql/<version>/bin`; `make test`
installs the `postgresql` package when they are missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

SERVER_SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


def binary(name: str) -> str:
    """A PostgreSQL program: from PATH, else the newest Debian server package's."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[4]) if Path(path).parts[4].isdigit() else 0,
    )
    if not candidates:
        raise RuntimeError(
            f"PostgreSQL's `{name}` is not installed: `make test` installs the Debian package "
            "`postgresql`, or run `apt-get install postgresql`."
        )
    return candidates[-1]


def _server_user() -> str | None:
    """Who runs the server when we are root (initdb refuses root); None: ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a `postgres` nor a `nobody` user exists")


class Cluster:
    """One PostgreSQL server in a temporary directory, for one test run."""

    def __init__(self) -> None:
        # Short: a Unix socket's path must fit in 107 bytes.
        self.directory = Path(tempfile.mkdtemp(prefix="upright-pg-", dir="/tmp"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.user = _server_user()

    @property
    def url(self) -> URL:
        """The maintenance database `postgres` over the socket, as the superuser."""
        return URL.create(
            "postgresql+psycopg",
            username="postgres",
            database="postgres",
            query={"host": str(self.directory)},
        )

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        # Into a file, not a pipe: a server started here must not hold our pipe open.
        with tempfile.TemporaryFile("w+") as output:
            result = subprocess.run(
                [*prefix, *command], stdout=output, stderr=subprocess.STDOUT, cwd=self.directory
            )
            output.seek(0)
            if result.returncode != 0:
                log = self.log.read_text() if self.log.exists() else ""
                raise RuntimeError(f"{' '.join(command)} failed:\n{output.read()}{log}")

    def _pg_ctl(self, action: str, *options: str) -> None:
        self._run(binary("pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60", *options)

    def start(self) -> Cluster:
        if self.user:
            shutil.chown(self.directory, self.user)
        self._run(
            binary("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale", "C", "--no-sync",
        )  # fmt: skip
        settings = [f"-c {name}={value}" for name, value in SERVER_SETTINGS.items()]
        options = " ".join([*settings, f"-c unix_socket_directories={self.directory}"])
        self._pg_ctl("start", "-l", str(self.log), "-o", options)
        return self

    def restart(self) -> None:
        """Stops the server (dropping every connection) and starts it again."""
        self._pg_ctl("restart", "-m", "fast", "-l", str(self.log))

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


class Databases:
    """Makes and drops fresh databases on one server (`server_url` names a database to connect
    to for that, usually `postgres`; the account needs CREATEDB)."""

    def __init__(self, server_url: str | URL, prefix: str) -> None:
        self.server_url = make_url(server_url)
        self.prefix = prefix
        self.engine = create_engine(
            self.server_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True
        )
        self.count = 0

    def create(self) -> str:
        """A new empty database; returns its URL (password included)."""
        self.count += 1
        name = f"{self.prefix}_{self.count}"
        with self.engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self.engine.dispose()
