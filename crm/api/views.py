"""The public read-only JSON API, /api/v1."""

import hashlib
import time
from functools import cache

import orjson
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from crm.extensions import csrf, db
from crm.lib.i18n import api_language, current_language
from crm.lib.pagination import page_args, paginate
from crm.lib.prepared import PreparedStatement
from crm.reference.models import ElectoralDistrict, Jurisdiction, PostalArea
from crm.reference.names import member_title, name_in, title_in
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
    return jsonify(
        items=[serialise(item) for item in page.items], count=page.total, limit=page.limit, offset=page.offset
    )


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
    return {
        "id": person.id,
        "name": person.full_name,
        "party": name_in(current_language(), "party", office.party, office.party),
        "title": member_title(jurisdiction.member_title) if jurisdiction else None,
        "email": office.mail_address,
        "phone": office.phone,
        "contact_uncertain": office.contact_uncertain,
    }


def _district_rows():
    """Districts with their jurisdiction and current representative (outer joins: vacant seats stay)."""
    return (
        select(ElectoralDistrict, Jurisdiction, ElectedOffice, Person)
        .join(Jurisdiction, Jurisdiction.id == ElectoralDistrict.jurisdiction_id)
        .outerjoin(
            ElectedOffice, and_(ElectedOffice.district_id == ElectoralDistrict.id, ElectedOffice.current.is_(True))
        )
        .outerjoin(Person, Person.id == ElectedOffice.person_id)
    )


def _riding(row, **extra):
    district, jurisdiction, office, person = row
    return {
        "number": district.number,
        "name": name_in(current_language(), "riding", district.ocd_id, district.name),
        "ocd_id": district.ocd_id,
        "province": jurisdiction.code,
        "vacant": office is None,
        "representative": _representative(office, person, jurisdiction),
        **extra,
    }


@bp.route("/ping")
def ping():
    """Touches no database: the framework's floor for benchmarks and load balancers."""
    return jsonify(ok=True)


@bp.route("/jurisdictions")
def jurisdictions():
    limit, offset = _page_args()
    page = paginate(db.session, select(Jurisdiction).order_by(Jurisdiction.id), limit=limit, offset=offset)
    return _collection(
        page,
        lambda j: {
            "code": j.code,
            "name": name_in(current_language(), "province", j.code, j.name),
            "kind": j.kind,
            "legislature": j.legislature_name,
            "member_title": member_title(j.member_title),
            "seats": j.seats,
            "ocd_id": j.ocd_id,
        },
    )


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
    stmt = (
        select(ElectedOffice, Person, district, Jurisdiction)
        .join(Person, Person.id == ElectedOffice.person_id)
        .join(Jurisdiction, Jurisdiction.id == ElectedOffice.jurisdiction_id)
        .outerjoin(district, district.id == ElectedOffice.district_id)
        .where(ElectedOffice.current.is_(True))
        .order_by(Jurisdiction.code, district.number, Person.full_name)
    )
    if jurisdiction is not None:
        stmt = stmt.where(ElectedOffice.jurisdiction_id == jurisdiction.id)
    page = paginate(db.session, stmt, limit=limit, offset=offset, scalars=False)

    def serialise(row):
        office, person, riding, juris = row
        return {
            "id": person.id,
            "name": person.full_name,
            "party": name_in(current_language(), "party", office.party, office.party),
            "title": member_title(juris.member_title),
            "province": juris.code,
            "riding": name_in(current_language(), "riding", riding.ocd_id, riding.name) if riding else None,
            "riding_number": riding.number if riding else None,
            "email": office.mail_address,
            "phone": office.phone,
            "contact_uncertain": office.contact_uncertain,
        }

    return _collection(page, serialise)


# Built once: the lookup is the hottest read in the product (every letter starts with it).
_LOOKUP = (
    select(
        ElectoralDistrict.number,
        ElectoralDistrict.name,
        ElectoralDistrict.ocd_id,
        Jurisdiction.code,
        Jurisdiction.member_title,
        PostalArea.share,
        PostalArea.rank,
        Person.id.label("person_id"),
        Person.full_name,
        ElectedOffice.id.label("office_id"),
        ElectedOffice.party,
        ElectedOffice.legislature_email,
        ElectedOffice.constituency_email,
        ElectedOffice.phone,
        ElectedOffice.contact_uncertain,
    )
    .select_from(PostalArea)
    .join(ElectoralDistrict, ElectoralDistrict.id == PostalArea.district_id)
    .join(Jurisdiction, Jurisdiction.id == ElectoralDistrict.jurisdiction_id)
    .outerjoin(ElectedOffice, and_(ElectedOffice.district_id == ElectoralDistrict.id, ElectedOffice.current.is_(True)))
    .outerjoin(Person, Person.id == ElectedOffice.person_id)
    .where(PostalArea.fsa == bindparam("fsa"))
    .order_by(PostalArea.rank)
)


def _lookup_item(row: tuple, language: str) -> dict:
    """One riding of a lookup's answer from one row of `_LOOKUP` (a plain tuple, read by position). Keys in
    alphabetical order, as the answer is encoded without sorting them (`_sorted_json`)."""
    (number, name, ocd_id, province, title, share, rank, person_id, full_name, office_id, party, email, other_email,
     phone, uncertain) = row  # fmt: skip
    representative = None
    if office_id is not None:
        representative = {
            "contact_uncertain": bool(uncertain),  # SQLite's driver reads 0 or 1
            "email": None if uncertain else (email or other_email),
            "id": person_id,
            "name": full_name,
            "party": name_in(language, "party", party, party),
            "phone": phone,
            "title": title_in(language, title),
        }
    return {
        "name": name_in(language, "riding", ocd_id, name),
        "number": number,
        "ocd_id": ocd_id,
        "province": province,
        "rank": rank,
        "representative": representative,
        "share": float(share),
        "vacant": office_id is None,
    }


def _sorted_json(body: dict):
    """jsonify(body) for a body whose dicts already have their keys in alphabetical order, encoded by orjson (the
    standard encoder was 30 of the 160 µs of CPU the uncached lookup adds to a request; orjson takes 2). Text outside
    ASCII is written as UTF-8, not as \\u escapes: the same JSON. In debug mode (indented output), jsonify itself."""
    provider = current_app.json
    if provider.compact is False or (provider.compact is None and current_app.debug):
        return jsonify(body)
    return current_app.response_class(orjson.dumps(body) + b"\n", mimetype=provider.mimetype)


# PostgreSQL reads these rows from `postal_lookup`, kept equal to `_LOOKUP` by triggers (0044); its
# columns have the names of `_LOOKUP`'s, so both select the same values in the same order.
_POSTGRES_LOOKUP = (
    f"SELECT {', '.join(column.name for column in _LOOKUP.selected_columns)} "
    "FROM postal_lookup WHERE fsa = %(fsa)s ORDER BY rank"
)


@cache
def _lookup_sql(dialect) -> str:
    """The lookup's SQL for this database, compiled once: on PostgreSQL, one index scan of the joined rows."""
    if dialect.name == "postgresql":
        return _POSTGRES_LOOKUP
    return str(_LOOKUP.compile(dialect=dialect))


@cache
def _prepared(sql: str) -> PreparedStatement:
    """The lookup as a PostgreSQL prepared statement, named after its SQL (so another SQL is another statement)."""
    return PreparedStatement(f"crm_lookup_{hashlib.sha1(sql.encode()).hexdigest()[:12]}", sql.replace("%(fsa)s", "$1"))


def _driver_rows(fsa: str) -> list[tuple]:
    """The lookup's rows through the database driver, without SQLAlchemy's connection and result layers: on
    PostgreSQL a prepared statement run through libpq, outside any transaction (lib/prepared.py). A driver error is
    raised as SQLAlchemy's (a lost connection is a 503)."""
    engine = db.engine
    postgres = engine.dialect.name == "postgresql"
    sql = _lookup_sql(engine.dialect)
    raw = engine.raw_connection()
    try:
        if postgres:
            return _prepared(sql).rows(raw.driver_connection, [fsa])
        cursor = raw.cursor()
        cursor.execute(sql, (fsa,))
        rows = cursor.fetchall()
        cursor.close()
        return rows
    except engine.dialect.loaded_dbapi.Error as error:
        lost = engine.dialect.is_disconnect(error, raw, None)
        if lost:
            raw.invalidate(error)
        raise DBAPIError.instance(
            sql, (fsa,), error, engine.dialect.loaded_dbapi.Error, connection_invalidated=lost
        ) from error
    finally:
        raw.close()


def _read_items(fsa: str, language: str) -> list[dict]:
    return [_lookup_item(row, language) for row in _driver_rows(fsa)]


def _candidate_ridings(fsa: str, language: str) -> list[dict]:
    """The ridings an FSA reaches, with their current representatives, most likely first.

    This is reference data that changes only when the roster is refreshed, so each process keeps
    answers for LOOKUP_CACHE_SECONDS (0 turns the cache off); staleness is bounded by that.
    """
    ttl = current_app.config["LOOKUP_CACHE_SECONDS"]
    if not ttl:
        return _read_items(fsa, language)
    cache = current_app.extensions.setdefault("crm.lookup_cache", {})
    now = time.monotonic()
    hit = cache.get((fsa, language))  # names and titles differ by language
    if hit and hit[0] > now:
        return hit[1]
    items = _read_items(fsa, language)
    if len(cache) > 5000:
        cache.clear()
    cache[(fsa, language)] = (now + ttl, items)
    return items


@bp.route("/lookup")
def lookup():
    raw = request.args.get("postal_code", "")
    try:
        code = normalise_postal_code(raw)
    except PostalCodeError as error:
        raise ApiError(400, "invalid_postal_code", str(error)) from None
    fsa = code[:3]
    items = _candidate_ridings(fsa, api_language())
    if not items:
        raise ApiError(
            404,
            "postal_area_not_found",
            f"No riding is known for the area {fsa} (the first three characters of {code}). "
            "The offline table covers Ontario only; choose your riding from the list instead.",
        )
    return _sorted_json({"count": len(items), "fsa": fsa, "items": items, "postal_code": code})
