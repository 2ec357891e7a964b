"""PostgreSQL's lookup reads `postal_lookup` (migration 0044), which triggers keep equal to the five-table join:
whatever changes a riding, its office, its person, its province or a postal area, every FSA answers as the join
would, in the same transaction."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, text, update

from crm.api import views
from crm.extensions import db
from crm.reference.models import ElectoralDistrict, Jurisdiction, PostalArea
from crm.stakeholders.models import ElectedOffice, Person

KEPT = text(views._POSTGRES_LOOKUP.replace("%(fsa)s", ":fsa"))


def _differences(session) -> list[str]:
    """Every FSA whose rows from postal_lookup differ from the join's (the lookup's own two queries)."""
    fsas = session.scalars(select(PostalArea.fsa).distinct()).all()
    assert len(fsas) > 500
    out = []
    for fsa in fsas:
        joined = _plain(session.execute(views._LOOKUP, {"fsa": fsa}))
        kept = _plain(session.execute(KEPT, {"fsa": fsa}))
        if sorted(joined, key=repr) != sorted(kept, key=repr):  # rows of equal rank come in either order
            out.append(f"{fsa}: join {joined} / postal_lookup {kept}")
    return out


def _plain(rows) -> list[tuple]:
    """Rows as tuples, the share as a float (the model reads it so; the raw SQL, as a Decimal)."""
    return [tuple(float(value) if isinstance(value, Decimal) else value for value in row) for row in rows]


@pytest.fixture
def pg(session, seeded):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("postal_lookup is PostgreSQL's")
    return session


def _an_office(session) -> ElectedOffice:
    return session.scalars(
        select(ElectedOffice).where(ElectedOffice.current.is_(True)).order_by(ElectedOffice.id)
    ).first()


def test_the_seeded_roster_answers_every_fsa_as_the_join_does_on_postgresql(pg):
    assert pg.scalar(text("SELECT count(*) FROM postal_lookup")) == pg.scalar(select(db.func.count(PostalArea.id)))
    assert _differences(pg) == []


def test_a_renamed_mpp_is_answered_by_the_new_name_on_postgresql(pg, client):
    office = _an_office(pg)
    office.person.full_name = "Renamed Member"
    pg.commit()
    assert _differences(pg) == []
    fsa = pg.scalar(select(PostalArea.fsa).where(PostalArea.district_id == office.district_id))
    names = [
        item["representative"]["name"] for item in client.get(f"/api/v1/lookup?postal_code={fsa}1A1").json["items"]
    ]
    assert "Renamed Member" in names


def test_a_by_election_a_moved_seat_and_a_removed_office_follow_at_once_on_postgresql(pg):
    office = _an_office(pg)
    office.current, office.to_date = False, date(2026, 11, 1)  # the seat falls vacant
    pg.flush()
    assert _differences(pg) == []
    winner = Person(full_name="By-election Winner")
    pg.add(winner)
    pg.flush()
    pg.add(ElectedOffice(person_id=winner.id, jurisdiction_id=office.jurisdiction_id, district_id=office.district_id))
    pg.flush()
    assert _differences(pg) == []
    other = pg.scalars(select(ElectoralDistrict.id).where(ElectoralDistrict.id != office.district_id)).first()
    pg.execute(update(ElectedOffice).where(ElectedOffice.person_id == winner.id).values(district_id=other))
    assert _differences(pg) == []
    pg.execute(delete(ElectedOffice).where(ElectedOffice.person_id == winner.id))
    pg.execute(delete(Person).where(Person.id == winner.id))
    assert _differences(pg) == []
    pg.commit()


def test_ridings_provinces_and_postal_areas_changed_in_any_way_follow_on_postgresql(pg):
    district = pg.scalars(select(ElectoralDistrict).order_by(ElectoralDistrict.id)).first()
    district.name = "Renamed Riding"
    pg.execute(update(Jurisdiction).where(Jurisdiction.code == "ON").values(member_title="MLA"))
    pg.flush()
    area = pg.scalars(select(PostalArea).where(PostalArea.district_id == district.id)).first()
    area.share, area.rank = 12.5, 9
    pg.flush()
    assert _differences(pg) == []
    pg.add(PostalArea(fsa="X9X", district_id=district.id, share=100, rank=1))
    pg.flush()
    assert len(pg.execute(KEPT, {"fsa": "X9X"}).all()) == 1
    pg.execute(delete(PostalArea).where(PostalArea.fsa.in_(["X9X", area.fsa])))
    assert _differences(pg) == []
    pg.rollback()  # reference tables are kept between tests
    assert _differences(pg) == []


def test_emptying_the_roster_at_once_leaves_every_seat_vacant_on_postgresql(pg):
    pg.execute(text("TRUNCATE elected_offices CASCADE"))
    assert pg.scalar(text("SELECT count(*) FROM postal_lookup WHERE office_id IS NOT NULL")) == 0
    assert _differences(pg) == []
    pg.rollback()
    assert _differences(pg) == []
