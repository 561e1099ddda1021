"""Storage faults answer 503 with Retry-After, and /healthz tells the truth about writes.

Each fault is real: SQLite opened read-only, a write lock held past the busy timeout, and a
filesystem that is actually full (a small tmpfs, mounted when the tests run as root).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid

import pytest
from sqlalchemy import func, select

from pwa import create_app
from pwa.extensions import db
from pwa.models import CheckIn

from .conftest import PASSWORD, config_for, forget_user_between_requests, make_patient

# The faults are made with SQLite's own means (a read-only open, a held write lock, a full
# tmpfs under the database file, max_page_count); PostgreSQL's SQLSTATEs are mapped by the same
# pwa.storage code but not provoked here.
pytestmark = [
    pytest.mark.database,
    pytest.mark.sqlite_only(reason="faults made with SQLite's file modes, locks and page limit"),
]


def build_database(path) -> str:
    """A migrated-by-models database file with one patient; returns the patient's e-mail."""
    app = create_app(config_for(path.parent, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"))
    with app.app_context():
        db.create_all()
        email = make_patient().email
        db.session.remove()
        db.engine.dispose()
    return email


def app_on(uri: str, tmp_path):
    app = create_app(config_for(tmp_path, SQLALCHEMY_DATABASE_URI=uri))
    forget_user_between_requests(app)
    return app


def signed_in_client(app, email: str):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def client_signed_in_elsewhere(app, email: str, path, tmp_path):
    """A client of `app` carrying a session made through a writable app on the same file:
    signing in writes (the server-side session), so it happens before the fault."""
    writable = app_on(f"sqlite:///{path}", tmp_path)
    with writable.app_context():
        source = signed_in_client(writable, email)
        db.session.remove()
        db.engine.dispose()
    client = app.test_client()
    for cookie in source._cookies.values():
        client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return client


def checkin_form() -> dict:
    return {
        "id": str(uuid.uuid4()),
        "date": "2026-11-20",
        "pain": "4",
        "worried": "no",
        "notes": "x" * 1500,
    }


def entry_json() -> dict:
    return {"id": str(uuid.uuid4()), "date": "2026-11-20", "pain": 4}


def assert_storage_503(response, *, api: bool) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    if api:
        assert response.is_json and response.json["error"] == "storage_unavailable"
        assert "try again" in response.json["message"]
    else:
        assert response.mimetype == "text/html"
        assert "try again in a few minutes" in response.get_data(as_text=True)


def test_a_read_only_database_answers_503_on_writes_and_healthz_says_so(tmp_path):
    path = tmp_path / "data.sqlite3"
    email = build_database(path)
    app = app_on(f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path)
    client = client_signed_in_elsewhere(app, email, path, tmp_path)
    with app.app_context():
        assert client.get("/history").status_code == 200  # reading still works

        assert_storage_503(client.post("/checkin", data=checkin_form()), api=False)
        assert_storage_503(client.post("/api/v1/entries", json=entry_json()), api=True)
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json == {"status": "error", "database": "read_only"}
        db.engine.dispose()

    # The same file opened for writing: healthy, and nothing half-saved from the refused posts.
    app = app_on(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        assert app.test_client().get("/healthz").json == {"status": "ok", "database": "ok"}
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
        db.engine.dispose()


def test_a_write_lock_held_past_the_busy_timeout_answers_503(tmp_path):
    path = tmp_path / "data.sqlite3"
    email = build_database(path)
    app = app_on(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        client = signed_in_client(app, email)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        try:
            assert_storage_503(client.post("/api/v1/entries", json=entry_json()), api=True)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert client.post("/api/v1/entries", json=entry_json()).status_code == 201
        db.engine.dispose()


def test_other_database_errors_stay_500s_not_storage_faults(app, client, signed_in, monkeypatch):
    from pwa.api import entries

    def broken(*_args, **_kwargs):
        db.session.execute(select(func.no_such_function()))

    monkeypatch.setattr(entries, "list_checkins", broken)
    response = client.get("/api/v1/entries")
    assert response.status_code == 500 and "Retry-After" not in response.headers


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MiB tmpfs of its own, so filling it fills nothing else."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs root: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory) -> None:
    """Writes a filler file until the filesystem has no free byte left."""
    descriptor = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (65536, 1):
            try:
                while True:
                    os.write(descriptor, b"\0" * chunk)
            except OSError:
                pass
    finally:
        os.close(descriptor)
    assert os.statvfs(directory).f_bavail == 0


def test_a_full_filesystem_answers_503_keeps_nothing_half_saved_and_healthz_says_full(
    tiny_disk, tmp_path
):
    path = tiny_disk / "data.sqlite3"
    email = build_database(path)
    app = app_on(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        client = signed_in_client(app, email)
        assert client.get("/healthz").json["status"] == "ok"
        fill(tiny_disk)

        assert_storage_503(client.post("/checkin", data=checkin_form()), api=False)
        assert_storage_503(client.post("/api/v1/entries", json=entry_json()), api=True)
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json["database"] == "full"

        # Room again: the same entry goes through, saved once.
        (tiny_disk / "filler").unlink()
        body = entry_json()
        assert client.post("/api/v1/entries", json=body).status_code == 201
        assert client.get("/healthz").json["status"] == "ok"
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
        db.engine.dispose()


def test_sqlite_max_page_count_reached_reads_as_full(tmp_path):
    path = tmp_path / "data.sqlite3"
    build_database(path)
    app = app_on(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        from sqlalchemy import event

        def cap(connection, _record) -> None:
            pages = connection.execute("PRAGMA page_count").fetchone()[0]
            connection.execute(f"PRAGMA max_page_count = {pages}")

        event.listen(db.engine, "connect", cap)
        db.engine.dispose()
        health = app.test_client().get("/healthz")
        assert health.status_code == 503 and health.json["database"] == "full"
        db.engine.dispose()
