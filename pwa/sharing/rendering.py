"""The doctor's report for someone other than its signed-in owner (a share link, a caregiver):
the report's own template and charts, inside a frame that shows nothing else of the account."""

from __future__ import annotations

from datetime import date

from flask import current_app, render_template, request
from sqlalchemy.orm import Session

from ..models import User, utcnow
from ..report import formatting
from ..report.charts import report_charts
from ..report.data import report_data
from ..report.pdf import render_pdf
from ..report.services import build_report


def report_html(
    session: Session, patient: User, start: date, end: date, *, paper: bool, **frame
) -> str:
    report = build_report(patient, start, end, now=utcnow(), session=session)
    charts = report_charts(report)
    return render_template(
        "report/report.html",
        layout="sharing/shared.html",
        pdf=True,  # the report's paper structure (its own h1, no period picker)
        paper=paper,
        form=None,
        report=report,
        data=report_data(report),  # page 1 is printed from the report.json data
        charts=charts,
        fmt=formatting,
        **frame,
    )


def report_pdf(html: str) -> bytes:
    return render_pdf(
        html,
        request.host_url,
        static_folder=current_app.static_folder,
        static_url_path=current_app.static_url_path,
    )
