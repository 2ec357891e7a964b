"""The public read-only JSON API, /api/v1."""
from flask import Blueprint, jsonify, request
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from crm.extensions import csrf, db
from crm.pagination import page_args, paginate
from crm.reference.models import ElectoralDistrict, Jurisdiction, PostalArea
from crm.reference.services import PostalCodeError, normalise_postal_code
from crm.stakeholders.models import ElectedOffice, Person

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return jsonify(error={"code": error.code, "status": error.status, "message": error.message}), error.status


def _page_args():
    try:
        return page_args(request.args)
    except ValueError as error:
        raise ApiError(400, "bad_pagination", str(error)) from None


def _collection(page, serialise):
    return jsonify(items=[serialise(item) for item in page.items], count=page.total, limit=page.limit,
                   offset=page.offset)


def _jurisdiction_filter():
    code = (request.args.get("province") or "").strip().upper()
    if not code:
        return None
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if jurisdiction is None:
        codes = ", ".join(db.session.scalars(select(Jurisdiction.code).order_by(Jurisdiction.code)))
        raise ApiError(400, "unknown_province", f"Unknown province {code!r}; use one of: {codes}.")
    return jurisdiction


def _representative(office, person, jurisdiction):
    if office is None:
        return None
    return {"id": person.id, "name": person.full_name, "party": office.party,
            "title": jurisdiction.member_title if jurisdiction else None,
            "email": office.mail_address, "phone": office.phone, "contact_uncertain": office.contact_uncertain}


def _district_rows():
    """Districts with their jurisdiction and current representative (outer joins: vacant seats stay)."""
    return (select(ElectoralDistrict, Jurisdiction, ElectedOffice, Person)
            .join(Jurisdiction, Jurisdiction.id == ElectoralDistrict.jurisdiction_id)
            .outerjoin(ElectedOffice, and_(ElectedOffice.district_id == ElectoralDistrict.id,
                                           ElectedOffice.current.is_(True)))
            .outerjoin(Person, Person.id == ElectedOffice.person_id))


def _riding(row, **extra):
    district, jurisdiction, office, person = row
    return {"number": district.number, "name": district.name, "ocd_id": district.ocd_id,
            "province": jurisdiction.code, "vacant": office is None,
            "representative": _representative(office, person, jurisdiction), **extra}


@bp.route("/ping")
def ping():
    """Touches no database: the framework's floor for benchmarks and load balancers."""
    return jsonify(ok=True)


@bp.route("/jurisdictions")
def jurisdictions():
    limit, offset = _page_args()
    page = paginate(db.session, select(Jurisdiction).order_by(Jurisdiction.id), limit=limit, offset=offset)
    return _collection(page, lambda j: {"code": j.code, "name": j.name, "kind": j.kind,
                                        "legislature": j.legislature_name, "member_title": j.member_title,
                                        "seats": j.seats, "ocd_id": j.ocd_id})


@bp.route("/ridings")
def ridings():
    limit, offset = _page_args()
    jurisdiction = _jurisdiction_filter()
    stmt = _district_rows().order_by(Jurisdiction.code, ElectoralDistrict.number)
    if jurisdiction is not None:
        stmt = stmt.where(ElectoralDistrict.jurisdiction_id == jurisdiction.id)
    page = paginate(db.session, stmt, limit=limit, offset=offset, scalars=False)
    return _collection(page, _riding)


@bp.route("/representatives")
def representatives():
    limit, offset = _page_args()
    jurisdiction = _jurisdiction_filter()
    district = aliased(ElectoralDistrict)
    stmt = (select(ElectedOffice, Person, district, Jurisdiction)
            .join(Person, Person.id == ElectedOffice.person_id)
            .join(Jurisdiction, Jurisdiction.id == ElectedOffice.jurisdiction_id)
            .outerjoin(district, district.id == ElectedOffice.district_id)
            .where(ElectedOffice.current.is_(True))
            .order_by(Jurisdiction.code, district.number, Person.full_name))
    if jurisdiction is not None:
        stmt = stmt.where(ElectedOffice.jurisdiction_id == jurisdiction.id)
    page = paginate(db.session, stmt, limit=limit, offset=offset, scalars=False)

    def serialise(row):
        office, person, riding, juris = row
        return {"id": person.id, "name": person.full_name, "party": office.party, "title": juris.member_title,
                "province": juris.code, "riding": riding.name if riding else None,
                "riding_number": riding.number if riding else None, "email": office.mail_address,
                "phone": office.phone, "contact_uncertain": office.contact_uncertain}

    return _collection(page, serialise)


@bp.route("/lookup")
def lookup():
    raw = request.args.get("postal_code", "")
    try:
        code = normalise_postal_code(raw)
    except PostalCodeError as error:
        raise ApiError(400, "invalid_postal_code", str(error)) from None
    fsa = code[:3]
    rows = db.session.execute(
        _district_rows().add_columns(PostalArea.share, PostalArea.rank)
        .join(PostalArea, PostalArea.district_id == ElectoralDistrict.id)
        .where(PostalArea.fsa == fsa).order_by(PostalArea.rank)
    ).all()
    if not rows:
        raise ApiError(404, "postal_area_not_found",
                       f"No riding is known for the area {fsa} (the first three characters of {code}). "
                       "The offline table covers Ontario only; choose your riding from the list instead.")
    items = [_riding(row[:4], share=float(row[4]), rank=row[5]) for row in rows]
    return jsonify(postal_code=code, fsa=fsa, items=items, count=len(items))
