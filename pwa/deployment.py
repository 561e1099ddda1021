"""What several machines must share: the secrets, taken from configuration.

One machine on SQLite may keep its own keys in `instance/`, made on first use. Several machines
(any other database) must all be given the same ones, or a session signed on one machine is
refused by the next and a browser subscribed to one VAPID key cannot be reached by another
machine's scheduler. So with any other database the app refuses to start until they are set,
and says what to set.

Each secret comes from an environment variable or from a mounted file named by `<NAME>_FILE`
(a Docker or systemd credential, a Kubernetes secret volume).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from py_vapid import Vapid
from sqlalchemy.engine import make_url

FROM_FILES = ("SECRET_KEY", "SMTP_PASSWORD")  # NAME, else the contents of the file NAME_FILE


class MissingSecrets(RuntimeError):
    """The app cannot start safely on several machines; the message says what to set."""


def read_secret_files(config: dict[str, Any]) -> None:
    """Fills each secret of FROM_FILES left unset from the file its NAME_FILE names."""
    for name in FROM_FILES:
        path = config.get(f"{name}_FILE")
        if config.get(name) or not path:
            continue
        try:
            config[name] = Path(path).read_text().strip()
        except OSError as error:
            raise MissingSecrets(f"{name}_FILE={path} cannot be read: {error.strerror}") from None
        if not config[name]:
            raise MissingSecrets(f"{name}_FILE={path} is empty")


def shares_its_database(config: dict[str, Any]) -> bool:
    """Anything but SQLite may be reached from several machines."""
    return make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "sqlite"


def require_shared_secrets(config: dict[str, Any]) -> None:
    """On a shared database, refuses to go on without the secrets every machine must share."""
    if not shares_its_database(config):
        return
    missing = []
    if not config.get("SECRET_KEY"):
        missing.append(
            "SECRET_KEY (or SECRET_KEY_FILE, a file holding it): the key that signs sessions, "
            'e.g. the output of `python3 -c "import secrets; print(secrets.token_hex(32))"`'
        )
    if not (config.get("VAPID_PRIVATE_KEY") or config.get("VAPID_PRIVATE_KEY_FILE")):
        missing.append(
            "VAPID_PRIVATE_KEY (the PEM text) or VAPID_PRIVATE_KEY_FILE (a file holding it): "
            "the Web Push key pair, e.g. made by `openssl ecparam -name prime256v1 -genkey "
            "-noout | openssl pkcs8 -topk8 -nocrypt -out vapid_private.pem`"
        )
    if missing:
        raise MissingSecrets(
            "Upright is using a shared database (DATABASE_URL is not SQLite), so every app and "
            "scheduler machine must be given the same secrets. Set, the same on every machine:\n"
            + "\n".join(f"  - {line}" for line in missing)
            + "\nSee docs/deploy.md."
        )
    if config.get("VAPID_PRIVATE_KEY"):
        vapid_from_text(config["VAPID_PRIVATE_KEY"])  # a malformed key stops the start, too


def vapid_from_text(text: str) -> Vapid:
    """A VAPID key given as PEM text, or base64url (raw 32 bytes or DER) as py-vapid prints."""
    try:
        if "-----BEGIN" in text:
            return Vapid.from_pem(text.strip().encode())
        return Vapid.from_string(text.strip())
    except Exception as error:  # noqa: BLE001 - the library raises many kinds for bad input
        raise MissingSecrets(
            f"VAPID_PRIVATE_KEY is not a P-256 private key in PEM or base64url: {error}"
        ) from None


def vapid_key(app: Flask) -> Vapid:
    """The installation's VAPID key pair: VAPID_PRIVATE_KEY, else the file named by
    VAPID_PRIVATE_KEY_FILE (default instance/vapid_private.pem), made on first use if missing."""
    from .reminders.channels import load_or_create_vapid, vapid_key_path

    if app.config.get("VAPID_PRIVATE_KEY"):
        return vapid_from_text(app.config["VAPID_PRIVATE_KEY"])
    return load_or_create_vapid(vapid_key_path(app.config, app.instance_path))
