"""A local fake of Open North's Represent API, built from its documented answers (represent.opennorth.ca/api/):

- GET /postcodes/{CODE}/ → {code, city, province, centroid, boundaries_centroid, boundaries_concordance,
  representatives_centroid, representatives_concordance}; 404 for a code it does not know.
- GET /representatives/{set}/?limit=N&offset=M → {objects: [...], meta: {limit, offset, total_count, next,
  previous}}, `next` a path with the next page's query, or null on the last page.
- Each representative: name, first_name, last_name, party_name, district_name, elected_office, email, url,
  photo_url, personal_url, source_url, representative_set_name, offices [{type, tel, postal, fax}], extra, gender,
  related {representative_set_url, boundary_url}.

The people are fictional and their addresses are at example.org; district names are real. The fake serves at most
PAGE_SIZE objects a page (Represent allows up to 1000) so that paging is exercised.
"""

from __future__ import annotations

import copy
import json
import time
from urllib.parse import parse_qs

from werkzeug import Response

PAGE_SIZE = 2
NS_SET = ("nova-scotia-legislature", "Nova Scotia House of Assembly", "MLA", "nova-scotia-electoral-districts-2019")
CA_SET = ("house-of-commons", "House of Commons", "MP", "federal-electoral-districts")
HRM_SET = ("halifax-regional-council", "Halifax Regional Council", "Councillor", "halifax-districts")


def representative(set_, name, district, party, email, boundary, photo=True):
    """One representative object as Represent documents it."""
    slug, set_name, office, boundary_set = set_
    first, _, last = name.partition(" ")
    return {
        "name": name,
        "first_name": first,
        "last_name": last,
        "party_name": party,
        "district_name": district,
        "elected_office": office,
        "email": email,
        "url": f"https://legislature.example.org/members/{last.lower()}",
        "photo_url": f"https://legislature.example.org/photos/{last.lower()}.jpg" if photo else "",
        "personal_url": "",
        "source_url": "https://legislature.example.org/members/",
        "representative_set_name": set_name,
        "offices": [
            {"type": "legislature", "tel": "1 902 555-0100", "postal": "Province House\nHalifax NS  B3J 2Y3"},
            {"type": "constituency", "tel": "1 902 555-0142", "postal": "1 Main St\nHalifax NS  B3H 1A1"},
        ],
        "extra": {},
        "gender": "",
        "related": {
            "representative_set_url": f"/representative-sets/{slug}/",
            "boundary_url": f"/boundaries/{boundary_set}/{boundary}/",
        },
    }


MLA_CITADEL = representative(
    NS_SET,
    "Morgan Ellis",
    "Halifax Citadel-Sable Island",
    "Nova Scotia Liberal Party",
    "m.ellis@mla.example.org",
    "halifax-citadel-sable-island",
)
MLA_CHEBUCTO = representative(
    NS_SET,
    "Jordan Whitfield",
    "Halifax Chebucto",
    "Nova Scotia New Democratic Party",
    "j.whitfield@mla.example.org",
    "halifax-chebucto",
)
MLA_DARTMOUTH = representative(
    NS_SET,
    "Avery MacLeod",
    "Dartmouth South",
    "Progressive Conservative Association of Nova Scotia",
    "",
    "dartmouth-south",
    photo=False,
)
MLA_NEEDHAM_A = representative(
    NS_SET, "Casey Burke", "Halifax Needham", "Nova Scotia Liberal Party", "c.burke@mla.example.org", "halifax-needham"
)
MLA_NEEDHAM_B = representative(
    NS_SET,
    "Riley Boudreau",
    "Halifax Needham",
    "Nova Scotia New Democratic Party",
    "r.boudreau@mla.example.org",
    "halifax-needham",
)
MP_HALIFAX = representative(CA_SET, "Sam Okafor", "Halifax", "Liberal", "sam.okafor@mp.example.org", "12006")
COUNCILLOR = representative(HRM_SET, "Pat Lee", "Peninsula South", "", "pat.lee@council.example.org", "7")


def postcode(code, city, centroid=(), concordance=()):
    return {
        "code": code,
        "city": city,
        "province": "NS",
        "centroid": {"type": "Point", "coordinates": [-63.58, 44.64]},
        "boundaries_centroid": [
            {
                "name": rep["district_name"],
                "boundary_set_name": rep["representative_set_name"],
                "url": rep["related"]["boundary_url"],
                "related": {"boundary_set_url": rep["related"]["boundary_url"].rsplit("/", 2)[0] + "/"},
            }
            for rep in centroid
        ],
        "boundaries_concordance": [],
        "representatives_centroid": list(centroid),
        "representatives_concordance": list(concordance),
    }


POSTCODES = {
    "B3H4R2": postcode("B3H4R2", "Halifax", [MLA_CITADEL, MP_HALIFAX, COUNCILLOR]),  # Halifax, south end
    "B3L2C3": postcode("B3L2C3", "Halifax", [MLA_CHEBUCTO, MP_HALIFAX]),
    "B2Y1A1": postcode("B2Y1A1", "Dartmouth", [MLA_DARTMOUTH]),  # an MLA with no published email
    "B3K1A1": postcode("B3K1A1", "Halifax", [MLA_NEEDHAM_A, MLA_NEEDHAM_B, MP_HALIFAX]),  # two for one district
    "B3J9Z9": postcode("B3J9Z9", "Halifax", [MP_HALIFAX]),  # no MLA listed: a vacancy
}


class FakeRepresent:
    """Serves POSTCODES and the representative sets on a pytest-httpserver; tests change `sets` and `broken`."""

    def __init__(self, httpserver):
        self.server = httpserver
        self.sets = {
            "nova-scotia-legislature": [MLA_CITADEL, MLA_CHEBUCTO, MLA_DARTMOUTH],
            "house-of-commons": [MP_HALIFAX],
        }
        self.postcodes = copy.deepcopy(POSTCODES)
        self.broken: dict[str, str] = {}  # path → "429" | "500" | "malformed" | "slow"
        self.slow_seconds = 1.0
        httpserver.expect_request(__import__("re").compile(r"^/.*$")).respond_with_handler(self.handle)

    @property
    def requests(self) -> list[str]:
        return [request.full_path.rstrip("?") for request, _ in self.server.log]

    def handle(self, request):
        trouble = self.broken.get(request.path)
        if trouble == "429":
            return Response("Too Many Requests", status=429)
        if trouble == "500":
            return Response("<h1>Server Error</h1>", status=500, content_type="text/html")
        if trouble == "malformed":
            return Response('{"objects": [', content_type="application/json")
        if trouble == "slow":
            time.sleep(self.slow_seconds)
        parts = request.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "postcodes" and parts[1] in self.postcodes:
            return self.json(self.postcodes[parts[1]])
        if len(parts) == 2 and parts[0] == "representatives" and parts[1] in self.sets:
            return self.page(request, parts[1])
        return Response('{"error": "Not Found"}', status=404, content_type="application/json")

    def page(self, request, slug):
        query = parse_qs(request.query_string.decode())
        limit = min(int(query.get("limit", ["20"])[0]), PAGE_SIZE)
        offset = int(query.get("offset", ["0"])[0])
        objects = self.sets[slug]
        more = offset + limit < len(objects)
        return self.json(
            {
                "objects": objects[offset : offset + limit],
                "meta": {
                    "limit": limit,
                    "offset": offset,
                    "total_count": len(objects),
                    "next": f"/representatives/{slug}/?limit={limit}&offset={offset + limit}" if more else None,
                    "previous": None,
                },
            }
        )

    @staticmethod
    def json(payload):
        return Response(json.dumps(payload), content_type="application/json")
