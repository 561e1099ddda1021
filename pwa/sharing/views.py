"""Links for the doctor: the patient makes, watches and stops them; the doctor opens one."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user, login_required

from ..extensions import db
from ..models import ShareLink, User, utcnow
from . import bp
from .forms import ShareForm
from .rendering import report_html, report_pdf
from .services import (
    create_share_link,
    find_link_by_token,
    openings,
    patient_link,
    patient_links,
    qr_svg,
    record_opening,
    revoke,
)

NEW_TOKEN = "new_share_link"  # the token, kept in the session until its page shows it once


def _private(response: Response) -> Response:
    """A page with a patient's health data behind a secret link: never cached, never indexed,
    and the link never leaks to another site in a Referer header."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _share_form() -> ShareForm:
    profile = current_user.profile
    return ShareForm(
        today=current_user.today(),
        recovery_start=profile.start_date if profile else None,
    )


@bp.route("/share", methods=["GET", "POST"])
@login_required
def index():
    form = _share_form()
    if form.validate_on_submit():
        period = form.period
        link, token = create_share_link(
            db.session, current_user, period.start, period.end, form.days.data, utcnow()
        )
        db.session.commit()
        session[NEW_TOKEN] = {"id": link.id, "token": token}
        return redirect(url_for("sharing.link", link_id=link.id))
    links = patient_links(db.session, current_user)
    page = render_template(
        "sharing/index.html",
        form=form,
        links=links,
        opened=openings(db.session, current_user),
        now=utcnow(),
    )
    return _private(Response(page, status=400 if form.errors else 200))


@bp.get("/share/<int:link_id>")
@login_required
def link(link_id: int):
    share = patient_link(db.session, current_user, link_id) or abort(404)
    new = session.get(NEW_TOKEN)
    url = qr = None
    if new and new.get("id") == share.id:
        session.pop(NEW_TOKEN)
        url = url_for("sharing.shared", token=new["token"], _external=True)
        qr = qr_svg(url)
    page = render_template(
        "sharing/link.html",
        share=share,
        url=url,
        qr=qr,
        opened=openings(db.session, current_user).get(share.id, []),
        now=utcnow(),
    )
    return _private(Response(page))


@bp.post("/share/<int:link_id>/revoke")
@login_required
def stop(link_id: int):
    share = patient_link(db.session, current_user, link_id) or abort(404)
    revoke(db.session, current_user, share, utcnow())
    db.session.commit()
    flash("The link is stopped. Nobody can open it any more.", "success")
    return redirect(url_for("sharing.index"))


def _open(token: str, what: str) -> tuple[ShareLink, User] | Response:
    """The link's report, or the page saying it no longer works."""
    share = find_link_by_token(db.session, token)
    now = utcnow()
    if share is None:
        abort(404)
    if not share.active(now):
        page = render_template("sharing/gone.html", share=share, now=now)
        return _private(Response(page, status=410))
    patient = db.session.get(User, share.user_id)
    if patient is None:
        abort(404)
    if not (current_user.is_authenticated and current_user.id == patient.id):
        record_opening(db.session, share, what, now)
        db.session.commit()
    return share, patient


def _shared_html(share: ShareLink, patient: User, token: str, *, pdf: bool) -> str:
    url = url_for("sharing.shared", token=token, _external=True)
    return report_html(
        db.session,
        patient,
        share.period_start,
        share.period_end,
        paper=pdf,
        share=share,
        pdf_url=url_for("sharing.shared_pdf", token=token),
        qr=qr_svg(url),
    )


@bp.get("/s/<token>")
def shared(token: str):
    opened = _open(token, "page")
    if isinstance(opened, Response):
        return opened
    share, patient = opened
    return _private(Response(_shared_html(share, patient, token, pdf=False)))


@bp.get("/s/<token>.pdf")
def shared_pdf(token: str):
    opened = _open(token, "PDF")
    if isinstance(opened, Response):
        return opened
    share, patient = opened
    body = report_pdf(_shared_html(share, patient, token, pdf=True))
    response = Response(body, mimetype="application/pdf")
    name = f"upright-report-{share.period_start:%Y-%m-%d}-to-{share.period_end:%Y-%m-%d}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return _private(response)
