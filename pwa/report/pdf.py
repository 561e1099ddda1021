"""HTML to PDF with WeasyPrint, allowed to read nothing but the app's own static files.

The report holds a patient's health data and is rendered on the server, so the renderer must
never become a way to read server files (`file:`), to smuggle data in (`data:`), or to make the
server call other machines (any outside URL, including our own HTTP routes). Every URL WeasyPrint
asks for is answered from the static folder on disk or refused, the way Indico's receipts do it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.security import safe_join

from ..gcpause import gc_paused


class RefusedURL(ValueError):
    """A URL the report renderer will not load."""


class StaticFilesOnly(URLFetcher):
    """Serves `<origin><static_url_path>/...` from `static_folder`; refuses everything else."""

    def __init__(self, static_folder: str | Path, base_url: str, static_url_path: str = "/static"):
        super().__init__(allowed_protocols=("http", "https"), allow_redirects=False)
        self.static_folder = str(static_folder)
        base = urlsplit(base_url)
        self.origin = (base.scheme, base.netloc)
        self.prefix = static_url_path.rstrip("/") + "/"
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        try:
            path = self.resolve(url)
        except RefusedURL:
            self.refused.append(url)
            raise
        return URLFetcherResponse(
            url,
            body=Path(path).read_bytes(),
            headers={"Content-Type": mimetypes.guess_type(path)[0] or "application/octet-stream"},
        )

    def resolve(self, url: str) -> str:
        """The file on disk for `url`, or RefusedURL. Reads nothing; never touches the network."""
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self.origin:
            raise RefusedURL(f"not one of the app's own files: {url[:80]}")
        if not parts.path.startswith(self.prefix):
            raise RefusedURL(f"not under {self.prefix}: {url[:80]}")
        relative = unquote(parts.path[len(self.prefix) :])
        path = safe_join(self.static_folder, relative)
        if path is None or not Path(path).is_file():
            raise RefusedURL(f"no such static file: {url[:80]}")
        return path


def render_pdf(
    html: str,
    base_url: str,
    *,
    static_folder: str | Path | None = None,
    static_url_path: str | None = None,
) -> bytes:
    """The PDF of `html`; relative URLs resolve against `base_url`, served from `static_folder`.

    Without an explicit folder and path, the current app's static files are used.
    """
    folder = static_folder or current_app.static_folder
    url_path = static_url_path or (
        current_app.static_url_path if static_folder is None else "/static"
    )
    if folder is None or url_path is None:
        raise RuntimeError("render_pdf needs a static folder to serve the report's files from")
    fetcher = StaticFilesOnly(folder, base_url, url_path)
    with gc_paused():
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
        return document.write_pdf(font_config=FontConfiguration())
