"""The interaction log in French (issue 25): a committee member who chose FR logs a meeting, reads its page, its
follow-ups and the list in French, and the form's refusals come back in French."""

from __future__ import annotations

from datetime import date, timedelta

from tests.interactions.conftest import meeting_form


def test_a_committee_member_logs_a_meeting_in_french(app, browser, committee, stakeholders):
    browser.post("/language", data={"lang": "fr", "next": "/interactions/"}, page="/interactions/")
    form = browser.get("/interactions/new").get_data(as_text=True)
    assert '<html lang="fr"' in form and "Consigner une interaction" in form
    assert "Rencontre" in form and "Organisateur" in form  # the kinds and roles, translated in the selects

    refused = browser.post("/interactions/new", meeting_form(), page="/interactions/new").get_data(as_text=True)
    assert "Ajoutez au moins une partie prenante" in refused

    due = (date.today() + timedelta(days=7)).isoformat()
    done = browser.post(
        "/interactions/new",
        meeting_form(
            **{
                "participants-0-who": f"organization:{stakeholders.cpso}",
                "participants-0-role": "target",
                "follow_ups-0-title": "Envoyer les chiffres",
                "follow_ups-0-due_date": due,
                "follow_ups-0-assignee_id": str(committee.id),
            }
        ),
        page="/interactions/new",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Interaction consignée." in done and "Suivis de cette interaction" in done
    assert "Cible" in done and "Résumé" in done and "Mettre à jour" in done

    listing = browser.get("/interactions/").get_data(as_text=True)
    assert "1 interaction." in listing and "Filtrer les interactions" in listing
    mine = browser.get("/interactions/follow-ups/mine").get_data(as_text=True)
    assert "Mes suivis" in mine and "Marquer comme fait" in mine
