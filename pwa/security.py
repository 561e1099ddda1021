"""Response headers that keep every page on our own origin and out of other sites' frames."""

from flask import Flask, request
from flask_login import current_user

# Everything the app needs is served by the app itself: no CDN, no third-party requests.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # style attributes only; scripts stay strict
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)


def register(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:  # issue 14: once on HTTPS, browsers never fall back to HTTP
            headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}")
        if "Cache-Control" not in headers and _shows_patient_data():
            headers["Cache-Control"] = "no-store"  # not in the browser's or a proxy's cache
        return response


def _shows_patient_data() -> bool:
    """Every page a signed-in patient gets may show their health data; static files do not."""
    return request.endpoint != "static" and current_user.is_authenticated
