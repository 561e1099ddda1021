"""The installable-app plumbing: service worker, manifest and the offline page."""

from flask import Blueprint, render_template

bp = Blueprint("offline", __name__)


@bp.get("/offline")
def offline_page():
    return render_template("offline.html")
