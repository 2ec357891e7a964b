"""The Represent API (represent.opennorth.ca) postal-code lookup: cached, and within its 60 requests/minute."""

from __future__ import annotations

import json
import re
import unicodedata
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.campaigns.models import RepresentLookup
from crm.extensions import take_shared_request
from crm.reference.models import ElectoralDistrict, Jurisdiction

RATE = "60/minute"  # Represent asks for at most 60 requests a minute
CACHE_DAYS = 30
TIMEOUT_SECONDS = 5


class RepresentUnavailable(Exception):
    """The API cannot answer now (rate limit, network, error); the caller falls back to the FSA table."""


def _key(name: str) -> str:
    """Compare riding names whatever their dashes, accents and spacing."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_name.lower())


def _names_in(payload: dict, jurisdiction: Jurisdiction) -> list[str]:
    """District names in the answer, most likely first: centroid matches before concordance ones."""
    names: list[str] = []
    for key in ("representatives_centroid", "representatives_concordance"):
        for rep in payload.get(key) or []:
            if (rep.get("elected_office") or "").upper() == jurisdiction.member_title.upper() and rep.get(
                "district_name"
            ):
                names.append(rep["district_name"])
    for key in ("boundaries_centroid", "boundaries_concordance"):
        for boundary in payload.get(key) or []:
            set_name = (boundary.get("boundary_set_name") or "").lower()
            if jurisdiction.name.lower() in set_name and "electoral district" in set_name and boundary.get("name"):
                names.append(boundary["name"])
    return names


def _fetch(postal_code: str) -> dict | None:
    """GET {REPRESENT_API_URL}/postcodes/{CODE}/; None when the API does not know the code."""
    if take_shared_request(RATE, "represent-api") is not None:
        raise RepresentUnavailable("rate limit reached")
    base = current_app.config["REPRESENT_API_URL"].rstrip("/")
    request = urllib.request.Request(
        f"{base}/postcodes/{postal_code}/", headers={"Accept": "application/json", "User-Agent": "itpo-crm"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read(1_000_000))
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise RepresentUnavailable(f"HTTP {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise RepresentUnavailable(type(error).__name__) from None


def district_ids_for(session: Session, postal_code: str, jurisdiction: Jurisdiction) -> list[int]:
    """District ids for a normalised postal code ('M5V 3L9'), most likely first, from the cache or the API."""
    code = postal_code.replace(" ", "").upper()
    cached = session.scalar(select(RepresentLookup).where(RepresentLookup.postal_code == code))
    if cached is not None and cached.fetched_at > datetime.utcnow() - timedelta(days=CACHE_DAYS):
        return [int(part) for part in cached.district_ids.split(",") if part]
    payload = _fetch(code)
    names = _names_in(payload or {}, jurisdiction)
    districts = {
        _key(d.name): d.id
        for d in session.scalars(select(ElectoralDistrict).where(ElectoralDistrict.jurisdiction_id == jurisdiction.id))
    }
    ids: list[int] = []
    for name in names:
        district_id = districts.get(_key(name))
        if district_id is not None and district_id not in ids:
            ids.append(district_id)
    value = ",".join(str(i) for i in ids)[:200]
    if cached is None:
        session.add(RepresentLookup(postal_code=code, district_ids=value, fetched_at=datetime.utcnow()))
    else:
        cached.district_ids, cached.fetched_at = value, datetime.utcnow()
    session.flush()
    return ids
