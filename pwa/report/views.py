"""The doctor's report: an HTML preview with a period picker, and the same page as a PDF.

Both answers carry health data, so neither may be kept by a browser or proxy cache.
"""

from flask import Response, current_app, jsonify, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import json_error
from ..extensions import db_session
from ..models import utcnow
from . import bp, formatting
from .charts import report_charts
from .data import report_data
from .forms import PeriodForm
from .pdf import render_pdf
from .services import build_report


def _period_form() -> PeriodForm:
    profile = current_user.profile
    return PeriodForm(
        request.args,
        today=current_user.today(),
        recovery_start=profile.start_date if profile else None,
    )


def _render(form: PeriodForm, *, pdf: bool = False):
    """The one report template, for the screen or for paper, from a validated form."""
    period = form.period
    assert period is not None  # set by the form's validation
    report = build_report(
        current_user, period.start, period.end, now=utcnow(), session=db_session()
    )
    data = report_data(report)
    charts = report_charts(report)
    period_args: dict = {
        "from": report.period.start.isoformat(),
        "to": report.period.end.isoformat(),
    }
    download = url_for("report.pdf", **period_args)
    html = render_template(
        "report/report.html",
        layout="report/paper.html" if pdf else "base.html",
        pdf=pdf,
        form=form,
        report=report,
        data=data,
        charts=charts,
        fmt=formatting,
        download_url=download,
    )
    return report, html


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _invalid(form: PeriodForm) -> Response:
    html = render_template("report/report.html", layout="base.html", form=form, report=None)
    return _no_store(Response(html, status=400))


@bp.get("/report")
@login_required
def preview():
    form = _period_form()
    if not form.validate():
        return _invalid(form)
    _report, html = _render(form)
    return _no_store(Response(html))


@bp.get("/report.pdf")
@login_required
def pdf():
    form = _period_form()
    if not form.validate():
        return _invalid(form)
    _report, html = _render(form, pdf=True)
    body = render_pdf(
        html,
        request.host_url,
        static_folder=current_app.static_folder,
        static_url_path=current_app.static_url_path,
    )
    response = Response(body, mimetype="application/pdf")
    filename = f"upright-report-{current_user.today():%Y-%m-%d}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _no_store(response)


@bp.get("/report.json")
@login_required
def data():
    """The plain data page 1 of the preview and the PDF are printed from."""
    form = _period_form()
    if not form.validate():
        return _no_store(json_error(400, "bad_period", fields=form.errors))
    period = form.period
    assert period is not None  # set by the form's validation
    report = build_report(
        current_user, period.start, period.end, now=utcnow(), session=db_session()
    )
    return _no_store(jsonify(report_data(report)))
