"""The migrations, run from an empty database, build exactly what the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect

from pwa import create_app
from pwa.extensions import db

from .conftest import config_for

pytestmark = pytest.mark.database


def test_migrations_from_empty_match_the_models(tmp_path):
    app = create_app(config_for(tmp_path))
    with app.app_context():
        upgrade()
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
            tables = set(inspect(connection).get_table_names())
        engine.dispose()
    assert differences == []
    assert {"users", "profiles", "checkins", "appointments", "warning_events"} <= tables


@pytest.mark.sqlite_only(reason="PRAGMAs are SQLite's own settings")
def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    app = create_app(config_for(tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 5000
