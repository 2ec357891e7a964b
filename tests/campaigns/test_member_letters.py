"""The member's journey: campaign page, find the representative, write, preview, send, "My letters"."""

from email.utils import parseaddr

from sqlalchemy import func, select

from crm.campaigns.models import Letter, LetterObstacle
from crm.outbox.models import OutboundMessage
from tests.campaigns.conftest import STORY, district_id, letter_data, send_letter, write_url


def test_anyone_can_read_a_live_campaign_page_with_a_call_to_action(client, make_campaign):
    campaign = make_campaign()
    html = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "#skillstohelp" in html
    assert f"/join?next=/campaigns/{campaign.slug}/write" in html.replace("%2F", "/")


def test_a_draft_campaign_is_hidden_from_members_and_the_public(client, browser, make_campaign, make_member):
    campaign = make_campaign(status="draft")
    assert client.get(f"/campaigns/{campaign.slug}").status_code == 404
    member = make_member()
    browser.login(member.email)
    assert browser.get(write_url(campaign)).status_code == 404


def test_a_visitor_may_start_writing_without_an_account(client, make_campaign):
    campaign = make_campaign()
    response = client.get(write_url(campaign))
    assert response.status_code == 200
    assert "Find it by postal code" in response.get_data(as_text=True)


def test_a_new_member_joins_on_the_way_and_returns_to_the_letter(app, client, browser, make_campaign, mailbox):
    campaign = make_campaign()
    write = write_url(campaign)
    response = browser.post(
        f"/join?next={write}",
        {
            "full_name": "Dr. Nadia Haddad",
            "email": "nadia@example.org",
            "password": "a long enough passphrase 42",
            "postal_code": "L1S 2B3",
            "province": "ON",
        },
        page=f"/join?next={write}",
    )
    assert response.status_code == 302
    assert response.headers["Location"].replace("%2F", "/").endswith(f"/login?next={write}")
    confirm = browser.get(mailbox.last_link("/confirm/"))
    assert f"/login?next={write}&email=nadia" in confirm.headers["Location"].replace("%2F", "/")
    login = browser.post(
        "/login", {"email": "nadia@example.org", "password": "a long enough passphrase 42", "next": write}
    )
    assert login.headers["Location"].endswith(write)
    page = browser.get(write).get_data(as_text=True)
    assert "Rob Cerjanec" in page  # L1S is Ajax: the riding saved at joining


def test_member_finds_the_representative_from_their_saved_riding(browser, make_campaign, make_member):
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    html = browser.get(write_url(campaign)).get_data(as_text=True)
    assert "Rob Cerjanec" in html and "Ajax" in html


def test_member_finds_candidate_ridings_by_postal_code_most_likely_first(browser, make_campaign, make_member):
    campaign = make_campaign()
    member = make_member(riding=None)
    browser.login(member.email)
    html = browser.get(write_url(campaign) + "?postal_code=m5v+3l9").get_data(as_text=True)
    assert "Spadina—Fort York" in html
    assert html.index("Spadina—Fort York") < html.index("Davenport")


def test_an_unknown_postal_area_offers_the_list_of_ridings(browser, make_campaign, make_member):
    campaign = make_campaign()
    member = make_member(riding=None)
    browser.login(member.email)
    html = browser.get(write_url(campaign) + "?postal_code=V6B+1A1").get_data(as_text=True)
    assert "choose your riding from the list" in html
    bad = browser.get(write_url(campaign) + "?postal_code=hello").get_data(as_text=True)
    assert "postal code" in bad.lower() and bad.count("is-invalid") >= 1


def test_the_letter_shows_locked_parts_read_only_with_placeholders_filled(browser, make_campaign, make_member):
    campaign = make_campaign()
    member = make_member(riding=1, name="Dr. Amal Farouk")
    browser.login(member.email)
    html = browser.get(write_url(campaign, f"district-{district_id(browser.client.application, 1)}")).get_data(
        as_text=True
    )
    assert "Dear Rob Cerjanec," in html
    assert "one of fewer than 5 ITPO members" in html
    assert 'name="block-1"' not in html  # locked: no field to edit
    assert 'name="block-2"' in html and 'name="block-3"' in html


def test_preview_shows_the_letter_exactly_as_it_will_be_sent(app, browser, make_campaign, make_member, session):
    campaign = make_campaign()
    member = make_member(riding=1, name="Dr. Amal Farouk")
    browser.login(member.email)
    url = write_url(campaign, f"district-{district_id(app, 1)}")
    html = browser.post(url, {"block-3": STORY, "preview": "Preview"}, page=url).get_data(as_text=True)
    assert "Preview: exactly as it will be sent" in html and STORY in html
    assert "Dr. Amal Farouk via ITPO" in html
    assert session.scalar(select(func.count()).select_from(Letter)) == 0


def test_sending_writes_the_letter_and_its_outbox_message_together(
    app, browser, make_campaign, make_member, session, mailbox
):
    campaign = make_campaign()
    member = make_member(riding=1, name="Dr. Amal Farouk", email="amal@example.org")
    browser.login(member.email)
    response = send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    assert response.status_code == 302 and "/my/letters/" in response.headers["Location"]
    letter = session.scalar(select(Letter))
    message = session.get(OutboundMessage, letter.message_id)
    assert letter.template_id == campaign.template_id and letter.party == "Ontario Liberal Party"
    assert message.kind == "letter" and message.status == "queued"
    assert message.to_address == "rcerjanec.mpp.co@liberal.ola.org"
    assert STORY in message.text_body and STORY in letter.body
    assert message.subject == "A letter from Dr. Amal Farouk #skillstohelp"
    sent = next(m for m in mailbox.deliver() if m["To"] == message.to_address)  # (the member's copy follows it)
    assert parseaddr(sent["From"]) == ("Dr. Amal Farouk via ITPO", "no-reply@itpo.example")
    assert parseaddr(sent["Reply-To"]) == ("Dr. Amal Farouk", "amal@example.org")


def test_a_second_send_to_the_same_target_is_refused_with_a_link_to_the_first(
    app, browser, make_campaign, make_member, session
):
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    recipient = f"district-{district_id(app, 1)}"
    first = send_letter(browser, campaign, recipient)
    url = write_url(campaign, recipient)
    second = browser.client.post(url, data={**letter_data(), "csrf_token": browser.token("/my/letters")})
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    page = browser.get(second.headers["Location"]).get_data(as_text=True)
    assert "already sent a letter" in page
    assert session.scalar(select(func.count()).select_from(Letter)) == 1
    assert (
        session.scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.kind == "letter")) == 1
    )


def test_a_double_submit_racing_past_the_check_keeps_one_letter(app, make_campaign, make_member, session):
    """Two tabs: the second insert hits the unique constraint; nothing of it is kept."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from crm.auth.models import User
    from crm.campaigns import services
    from crm.campaigns.models import Campaign, LetterTemplate
    from crm.extensions import db

    campaign = make_campaign()
    member = make_member(riding=1)
    with app.test_request_context():
        user = db.session.get(User, member.id)
        camp = db.session.get(Campaign, campaign.id)
        template = db.session.get(LetterTemplate, campaign.template_id)
        recipient = services.recipient_for_district(db.session, camp, district_id(app, 1))
        services.send_letter(
            db.session, campaign=camp, user=user, recipient=recipient, template=template, edits={3: STORY}
        )
        db.session.commit()
        original = services.existing_letter
        services.existing_letter = lambda *args: None  # the second tab checked before the first committed
        try:
            with pytest.raises(IntegrityError):
                services.send_letter(
                    db.session, campaign=camp, user=user, recipient=recipient, template=template, edits={3: STORY}
                )
        finally:
            services.existing_letter = original
            db.session.rollback()
    assert session.scalar(select(func.count()).select_from(Letter)) == 1
    assert (
        session.scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.kind == "letter")) == 1
    )


def test_the_personal_part_is_required_with_its_minimum_length(app, browser, make_campaign, make_member, session):
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    response = send_letter(browser, campaign, f"district-{district_id(app, 1)}", **{"block-3": "too short"})
    assert response.status_code == 200
    assert "Write at least 20 characters" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Letter)) == 0


def test_a_letter_over_20000_characters_is_refused(app, browser, make_campaign, make_member, session):
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    response = send_letter(
        browser, campaign, f"district-{district_id(app, 1)}", **{"block-3": "x" * 9_999, "block-2": "y" * 9_999}
    )
    assert response.status_code == 200
    assert "the limit is 20,000" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Letter)) == 0


def test_a_closed_campaign_takes_no_letters(app, browser, make_campaign, make_member, session):
    campaign = make_campaign(status="closed")
    member = make_member(riding=1)
    browser.login(member.email)
    response = send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/campaigns/{campaign.slug}")
    assert session.scalar(select(func.count()).select_from(Letter)) == 0
    assert "not accepting letters" in browser.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)


def test_an_unconfirmed_member_cannot_send(app, make_campaign, make_member, session):
    import pytest

    from crm.auth.models import User
    from crm.campaigns import services
    from crm.campaigns.models import Campaign, LetterTemplate
    from crm.extensions import db
    from crm.lib.errors import ValidationError

    campaign = make_campaign()
    member = make_member(riding=1, confirmed=False)
    with app.test_request_context():
        camp = db.session.get(Campaign, campaign.id)
        recipient = services.recipient_for_district(db.session, camp, district_id(app, 1))
        with pytest.raises(ValidationError, match="Confirm your email"):
            services.send_letter(
                db.session,
                campaign=camp,
                user=db.session.get(User, member.id),
                recipient=recipient,
                template=db.session.get(LetterTemplate, campaign.template_id),
                edits={3: STORY},
            )
    assert session.scalar(select(func.count()).select_from(Letter)) == 0


def test_a_vacant_seat_stops_the_letter_and_the_lead_sees_the_count(app, browser, make_campaign, make_member, session):
    from crm.extensions import db
    from crm.stakeholders.models import ElectedOffice

    campaign = make_campaign()
    with app.app_context():
        office = db.session.scalar(select(ElectedOffice).where(ElectedOffice.district_id == district_id(app, 2)))
        office.current = False
        db.session.commit()
    member = make_member(riding=2)
    browser.login(member.email)
    response = send_letter(browser, campaign, f"district-{district_id(app, 2)}")
    assert "is vacant at the moment" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Letter)) == 0
    assert session.scalar(select(func.count()).select_from(LetterObstacle)) == 1
    browser.logout()
    browser.login(campaign.lead.email)
    stats = browser.get(f"/manage/campaigns/{campaign.id}/stats.json").json
    assert stats["stopped_vacant"] == 1


def test_an_uncertain_address_is_never_mailed(app, browser, make_campaign, make_member, session):
    campaign = make_campaign()
    member = make_member(riding=37)  # the roster has no confirmed address for this seat
    browser.login(member.email)
    response = send_letter(browser, campaign, f"district-{district_id(app, 37)}")
    assert "do not have a confirmed email address" in response.get_data(as_text=True)
    assert (
        session.scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.kind == "letter")) == 0
    )
    assert session.scalar(select(LetterObstacle.reason)) == "no_address"


def test_my_letters_shows_each_letter_with_its_delivery_status(app, browser, make_campaign, make_member, mailbox):
    campaign = make_campaign()
    member = make_member(riding=1)
    browser.login(member.email)
    send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    assert "Waiting to be sent" in browser.get("/my/letters").get_data(as_text=True)
    mailbox.deliver()
    assert ">Sent<" in browser.get("/my/letters").get_data(as_text=True)


def test_my_letters_uses_the_same_number_of_queries_for_more_letters(
    app, browser, make_campaign, make_member, count_queries
):
    member = make_member(riding=1)
    browser.login(member.email)

    def queries_for_page():
        browser.get("/my/letters")
        with count_queries() as counter:
            browser.get("/my/letters")
        return counter.count

    send_letter(browser, make_campaign(), f"district-{district_id(app, 1)}")
    few = queries_for_page()
    for _ in range(3):
        send_letter(browser, make_campaign(), f"district-{district_id(app, 1)}")
    assert queries_for_page() == few


def test_members_in_riding_shows_the_number_from_five_up(app, make_member):
    from crm.campaigns.services import members_in_riding
    from crm.extensions import db

    for _ in range(4):
        make_member(riding=1)
    with app.app_context():
        assert members_in_riding(db.session, district_id(app, 1)) == "fewer than 5"
    make_member(riding=1)
    with app.app_context():
        assert members_in_riding(db.session, district_id(app, 1)) == "5"


def test_a_fixed_target_campaign_writes_to_each_target(app, browser, make_campaign, make_member, session):
    member = make_member(riding=1)
    # two seated MPPs stand in for ministers
    campaign = make_campaign(kind="fixed_targets", targets=_people(app, district_id(app, 2), district_id(app, 100)))
    browser.login(member.email)
    html = browser.get(write_url(campaign)).get_data(as_text=True)
    assert "Bill Rosenberg" in html and "Jill Dunlop" in html
    person_id = _people(app, district_id(app, 2))[0]
    response = send_letter(browser, campaign, f"person-{person_id}")
    assert response.status_code == 302
    letter = session.scalar(select(Letter))
    assert letter.to_address == "bill.rosenberg@pc.ola.org"
    html = browser.get(write_url(campaign)).get_data(as_text=True)
    assert "You have written to Bill Rosenberg" in html


def _people(app, *district_ids):
    from crm.extensions import db
    from crm.stakeholders.models import ElectedOffice

    with app.app_context():
        return [
            db.session.scalar(
                select(ElectedOffice.person_id).where(ElectedOffice.district_id == d, ElectedOffice.current.is_(True))
            )
            for d in district_ids
        ]


def test_the_public_page_counts_letters_and_ridings(app, browser, client, make_campaign, make_member):
    campaign = make_campaign()
    for riding in (1, 1, 2):
        member = make_member(riding=riding)
        browser.login(member.email)
        send_letter(browser, campaign, f"district-{district_id(app, riding)}")
        browser.logout()
    html = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "3 letters sent so far, reaching 2 of 124 ridings" in html


def test_a_postal_code_typed_at_the_riding_step_is_asked_for_once_and_signs_the_preview(
    app, browser, make_campaign, make_member
):
    """A member with no postal code on file types one to find their MPP: the letter keeps it and signs with it."""
    from crm.members.models import MemberProfile

    campaign = make_campaign()
    member = make_member(riding=None, postal_code=None)
    browser.login(member.email)
    choose = browser.get(write_url(campaign) + "?postal_code=l1s+2b3").get_data(as_text=True)
    assert "postal_code=L1S" in choose  # each "Write to" link carries it on
    recipient = f"district-{district_id(app, 1)}"
    page = browser.get(write_url(campaign, recipient) + "&postal_code=L1S+2B3").get_data(as_text=True)
    assert 'value="L1S 2B3"' in page
    preview = browser.post(
        write_url(campaign, recipient), letter_data(send="", preview="Preview", postal_code="L1S 2B3")
    ).get_data(as_text=True)
    assert "L1S 2B3 · riding of" in preview
    send_letter(browser, campaign, recipient, postal_code="L1S 2B3")
    with app.app_context():
        from crm.extensions import db

        assert db.session.scalar(select(MemberProfile.postal_code).where(MemberProfile.user_id == member.id)) == (
            "L1S 2B3"
        )
