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


def test_a_francophone_committee_member_gets_the_follow_up_digest_in_french(
    app, runner, mailbox, make_user, stakeholders
):
    from datetime import datetime

    from crm.auth.models import User
    from crm.extensions import db
    from tests.interactions.conftest import add_interaction
    from tests.interactions.test_follow_ups import _follow_up

    claire = make_user("committee", email="claire@example.org", name="Claire")
    with app.app_context():
        db.session.get(User, claire.id).language = "fr"
        db.session.commit()
        db.session.remove()
    interaction_id = add_interaction(
        app, occurred_at=datetime.now() - timedelta(days=30), organization_ids=[stakeholders.cpso], title="Rencontre"
    )
    _follow_up(app, interaction_id, "Envoyer le mémoire", date.today() - timedelta(days=1), claire.id)
    assert runner.invoke(args=["crm", "send-digests"]).exit_code == 0
    (mail,) = [m for m in mailbox.deliver() if m["To"] == "claire@example.org"]
    assert mail["Subject"] == "Vos suivis ITPO : 1 en retard, 0 à faire"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Bonjour Claire," in body and "En retard :" in body and "après « Rencontre »" in body
