"""The directory in French (issue 25): people, a person's page with their office and stances, organizations and
the import page, for a committee member who chose FR."""

from __future__ import annotations

import re


def test_a_committee_member_reads_the_directory_in_french(roster, committee):
    committee.post("/language", data={"lang": "fr", "next": "/directory/people"}, page="/directory/people")
    people = committee.get("/directory/people?q=bourgouin").get_data(as_text=True)
    assert '<html lang="fr"' in people and "1 personne" in people and "Ajouter une personne" in people
    assert "Trier par" in people and "Exporter cette liste :" in people

    person_id = re.search(r'href="/directory/people/(\d+)"', people).group(1)
    person = committee.get(f"/directory/people/{person_id}").get_data(as_text=True)
    assert "Charges électives" in person and "en fonction" in person
    assert "Positions sur les trois demandes" in person and "Plus de postes de résidence" in person
    assert "Consigner une position" in person and "Inconnue" in person

    organizations = committee.get("/directory/organizations").get_data(as_text=True)
    assert "Ajouter un organisme" in organizations and "Organisme de réglementation" in organizations
