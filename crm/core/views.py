"""Front page, home page and the health check."""

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from crm.extensions import db
from crm.members.models import LICENSURE_STAGES
from crm.reference.models import ElectoralDistrict, Jurisdiction
from crm.stakeholders.models import ElectedOffice, Person

bp = Blueprint("core", __name__)


@bp.route("/")
def index():
    return render_template("core/index.html")


@bp.route("/home")
def home():
    """What a logged-in person sees first: their profile and representative, or the staff overview."""
    profile = getattr(current_user, "profile", None)
    representative = None
    if profile is not None and profile.district_id:
        representative = db.session.execute(
            select(Person, ElectedOffice)
            .join(ElectedOffice, ElectedOffice.person_id == Person.id)
            .where(ElectedOffice.district_id == profile.district_id, ElectedOffice.current.is_(True))
        ).first()
    counts = None
    if current_user.is_staff:
        counts = {
            "jurisdictions": db.session.scalar(select(func.count()).select_from(Jurisdiction)),
            "districts": db.session.scalar(select(func.count()).select_from(ElectoralDistrict)),
            "representatives": db.session.scalar(
                select(func.count()).select_from(ElectedOffice).where(ElectedOffice.current.is_(True))
            ),
        }
    return render_template(
        "core/home.html", profile=profile, representative=representative, counts=counts, stages=dict(LICENSURE_STAGES)
    )


@bp.route("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return jsonify(status="unavailable", database={"ok": False, "error": type(error).__name__}), 503
    return jsonify(status="ok", database={"ok": True, "dialect": db.engine.dialect.name})
