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


FIXED_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def register(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}  # one pass, not one per header
        headers.extend(pair for pair in FIXED_HEADERS if pair[0].lower() not in present)
        if request.is_secure and "strict-transport-security" not in present:
            # issue 14: once on HTTPS, browsers never fall back to HTTP
            headers["Strict-Transport-Security"] = f"max-age={app.config['HSTS_SECONDS']}"
        if "cache-control" not in present and _shows_patient_data():
            headers["Cache-Control"] = "no-store"  # not in the browser's or a proxy's cache
        return response


def _shows_patient_data() -> bool:
    """Every page a signed-in patient gets may show their health data; static files do not."""
    return request.endpoint != "static" and current_user.is_authenticated
