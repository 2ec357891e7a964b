"""The audit log page for admins: read-only, filtered by entity, actor and date."""

from flask import Blueprint, render_template, request
from sqlalchemy import select

from crm.audit import services
from crm.audit.forms import AuditFilterForm
from crm.audit.models import AuditEvent
from crm.extensions import db
from crm.lib.pagination import page_args, paginate

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("/")
def index():
    form = AuditFilterForm(request.args)
    types = db.session.scalars(select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)).all()
    form.entity_type.choices = [("", "Any entity")] + [(t, t) for t in types]
    form.action.choices = [("", "Any action")] + [
        (a, a) for a in db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    ]
    form.validate()

    def clean(field):
        return None if field.errors else (field.data or None)

    try:
        limit, offset = page_args(request.args, default=50, maximum=200)
    except ValueError:
        limit, offset = 50, 0
    stmt = services.search_events(
        entity_type=clean(form.entity_type),
        entity_id=clean(form.entity_id),
        actor=clean(form.actor),
        action=clean(form.action),
        date_from=clean(form.date_from),
        date_to=clean(form.date_to),
    )
    page = paginate(db.session, stmt, limit=limit, offset=offset, scalars=False)
    return render_template("audit/index.html", form=form, page=page)
