"""Upright: a recovery companion after a spinal compression fracture.

`create_app` reads as the table of contents of the application.
"""

import contextlib
import secrets

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import INSTANCE, ROOT, Config
from .deployment import read_secret_files, require_shared_secrets
from .storage import private_database_file, private_directory, private_file, write_private_text


def create_app(config: type[Config] | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_limits(app)
    register_template_context(app)
    register_security_headers(app)
    register_commands(app)
    register_scheduler(app)
    return app


def configure(app: Flask, config: type[Config] | dict | None) -> None:
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    private_directory(INSTANCE)
    private_database_file(app.config["SQLALCHEMY_DATABASE_URI"])
    read_secret_files(app.config)
    require_shared_secrets(app.config)  # several machines: refuses to start without them
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key()
    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # as Werkzeug's docs show
            app.wsgi_app, x_for=1, x_proto=1, x_host=1
        )


def _instance_secret_key() -> str:
    """A key made once per installation and kept in instance/, so sessions survive restarts."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first
            write_private_text(path, secrets.token_hex(32))
    private_file(path)
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (models must be imported for migrations to see them)
    from .auth.passwords import configure_hasher
    from .extensions import (
        SessionInterface,
        csrf,
        db,
        login_manager,
        migrate,
        register_sqlite_pragmas,
    )

    register_sqlite_pragmas()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    app.session_interface = SessionInterface()
    configure_hasher(app.config)


def register_blueprints(app: Flask) -> None:
    from . import api, appointments, auth, checkin, learn, main, offline, profile, reminders, report

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(checkin.bp)
    app.register_blueprint(appointments.bp)
    app.register_blueprint(learn.bp)
    app.register_blueprint(reminders.bp)
    app.register_blueprint(report.bp)
    app.register_blueprint(offline.bp)
    app.register_blueprint(api.bp)
    register_patient_data_blueprints(app)
    register_bone_health_blueprints(app)


def register_bone_health_blueprints(app: Flask) -> None:
    """Issue 12: the bone-health checklist (`/bone-health`) and measured height (`/height`)."""
    from .bone import views as bone_views
    from .bone.height import bp as height_bp

    app.register_blueprint(bone_views.bp)
    app.register_blueprint(height_bp)


def register_patient_data_blueprints(app: Flask) -> None:
    """Issue 16: export, import, deletion, the access log, sharing and caregivers."""
    from . import caregivers, data, sharing

    app.register_blueprint(data.bp)
    app.register_blueprint(sharing.bp)
    app.register_blueprint(caregivers.caregivers_bp)
    app.register_blueprint(caregivers.care_bp)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_request_limits(app: Flask) -> None:
    from .limits import register

    register(app)


def register_template_context(app: Flask) -> None:
    from .templating import register

    register(app)


def register_security_headers(app: Flask) -> None:
    from .security import register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)


def register_scheduler(app: Flask) -> None:
    from .reminders.scheduler import start_in_app

    start_in_app(app)
