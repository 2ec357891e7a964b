"""Templates that hold up: saving warns (never refuses) about what offices discount, a new letter starts from a
skeleton the demo uses too, subjects carry a hashtag only when the lead writes one, and the sample shows where
members write."""

from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import func, select

from crm.campaigns import sandbox, services
from crm.campaigns.models import Campaign, Letter, LetterTemplate
from crm.campaigns.template_quality import has_closing, is_sign_off, letter_skeleton, literal
from tests.campaigns.conftest import TEMPLATE_PAGE, district_id, new_campaign, send_letter, template_form

GREETING = ("locked", "Dear {{ representative_name }},", 0)
CLOSING = ("locked", "Thank you for reading.\n\nSincerely,\n{{ member_name }}", 0)
STORY_200 = (
    "I trained in Lahore and practised family medicine for nine years. Since I came to Ontario I have passed "
    "every exam, yet I drive for a living while my neighbours wait two years for a family doctor. Please help."
)


def _warnings(page: str) -> list[str]:
    section = re.search(r'<section class="alert alert-warning" id="template-warnings".*?</section>', page, re.S)
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", section.group(0), re.S)] if section else []


def _lead_with_campaign(browser, make_user, **values) -> int:
    browser.login(make_user(role="lead").email)
    return new_campaign(browser, **values)


def test_a_letter_without_a_personal_block_or_a_closing_is_saved_with_both_warnings(
    browser, make_user, session, seeded
):
    campaign_id = _lead_with_campaign(browser, make_user)
    page = browser.post(
        TEMPLATE_PAGE.format(campaign_id), template_form("Our asks", GREETING, ("locked", "Please act now.", 0))
    ).get_data(as_text=True)
    assert "Saved version 1" in page
    assert session.scalar(select(func.count()).select_from(LetterTemplate)) == 1
    warnings = _warnings(page)
    assert len(warnings) == 2
    assert "no personal block" in warnings[0] and "no closing" in warnings[1]


def test_a_personal_block_asking_for_under_100_characters_is_saved_with_a_warning(browser, make_user, seeded):
    campaign_id = _lead_with_campaign(browser, make_user)
    url = TEMPLATE_PAGE.format(campaign_id)
    page = browser.post(url, template_form("Our asks", GREETING, ("personal", "Your story", 99), CLOSING))
    warnings = _warnings(page.get_data(as_text=True))
    assert "Saved version 1" in page.get_data(as_text=True)
    assert warnings == [
        "Block 2 (personal) asks for at least 99 characters. Ask for 100 or more, so members tell a story rather "
        "than add a line to a form letter."
    ]
    page = browser.post(url, template_form("Our asks", GREETING, ("personal", "Your story", 100), CLOSING))
    assert "Saved version 2" in page.get_data(as_text=True) and _warnings(page.get_data(as_text=True)) == []
    assert 'id="template-warnings"' not in page.get_data(as_text=True)


def test_the_warnings_stay_on_the_editor_until_the_lead_fixes_them(browser, make_user, seeded):
    campaign_id = _lead_with_campaign(browser, make_user)
    url = TEMPLATE_PAGE.format(campaign_id)
    browser.post(url, template_form("Our asks", GREETING, ("personal", "Your story", 150)))
    assert ["no closing" in w for w in _warnings(browser.get(url).get_data(as_text=True))] == [True]


def test_a_closing_is_a_sign_off_line_near_the_end_of_the_last_block():
    for line in ("Sincerely,", "Kind regards", "  RESPECTFULLY. ", "Yours truly,", "Thank you,", "Cordialement,"):
        assert is_sign_off(line), line
    for line in ("Thank you for your time.", "Sincerely, I believe this matters", "Regards to your staff", ""):
        assert not is_sign_off(line), line
    block = services.BlockInput
    story = block("personal", "Your story", min_length=150)
    assert has_closing([block("locked", "Dear you,"), story, block("locked", "Sincerely,\n{{ member_name }}")])
    assert has_closing([story, block("editable", "With thanks for your time,\n\nRespectfully,\nDr. A\nFamily doctor")])
    # A sign-off that does not end the letter, or a letter that ends with the member's own words, has no closing.
    assert not has_closing([block("locked", "Sincerely,\nA\nB\nC\nAnd one more thing."), story])
    assert not has_closing([block("locked", "Sincerely,"), story])
    assert not has_closing([block("locked", "Sincerely,\n\nOne\nTwo\nThree")])
    # The signature the product appends (name, postal code, riding…) never stands in for one.
    assert not has_closing([block("locked", "Dear you,"), story, block("locked", "--\n{{ member_name }}")])


def test_a_new_campaign_s_letter_starts_from_the_skeleton(browser, make_user, session, seeded):
    campaign_id = _lead_with_campaign(browser, make_user)
    url = TEMPLATE_PAGE.format(campaign_id)
    page = html.unescape(browser.get(url).get_data(as_text=True))
    assert 'value="{{ campaign_name }}: a letter from {{ member_name }}"' in page
    assert "Dear {{ representative_name }}," in page
    assert "I am asking you to support ITPO's asks:\n1. A Practice-Ready Assessment (PRA) program" in page
    assert "In your own words" in page and 'value="200"' in page
    assert "Sincerely," in page and "This campaign has no letter yet" in page
    subject, blocks = letter_skeleton(session, session.get(Campaign, campaign_id))
    data = template_form(subject, *[(b.kind, b.body, b.min_length) for b in blocks])
    data["blocks-2-label"] = "Your story"
    saved = browser.post(url, data).get_data(as_text=True)
    assert "Saved version 1" in saved and _warnings(saved) == []  # the skeleton holds up as it is


def test_the_sample_marks_where_each_personal_block_goes(browser, make_user, seeded):
    campaign_id = _lead_with_campaign(browser, make_user)
    form = template_form(
        "Our asks",
        GREETING,
        ("personal", "Who you are", 120),
        ("locked", "ITPO asks for more PRA spots. <b>Now</b>", 0),
        ("personal", "What it would mean", 100),
        CLOSING,
    )
    form["blocks-1-label"] = "Who you are <mark>"
    page = browser.post(TEMPLATE_PAGE.format(campaign_id), form).get_data(as_text=True)
    sample = re.search(r'<div class="mail-body" id="sample-letter">(.*?)</div>', page, re.S).group(1)
    slots = re.findall(r'<mark class="personal-slot">(.*?)</mark>', sample)
    assert slots == [
        "[Personal block 2: Who you are &lt;mark&gt; (at least 120 characters, the member writes here)]",
        "[Personal block 4: the member&#39;s own words (at least 100 characters, the member writes here)]",
    ]
    assert "<b>" not in sample and "&lt;b&gt;Now&lt;/b&gt;" in sample  # the lead's text is text
    text = html.unescape(re.sub(r"<[^>]+>", "", sample))
    assert text.index("Dear Jane Example,") < text.index("Personal block 2") < text.index("ITPO asks for more")
    assert text.index("Personal block 4") < text.index("Sincerely,") < text.index("--\nDr. Amina Sample")


def test_subjects_carry_no_hashtag_unless_the_lead_writes_one(
    app, browser, make_campaign, make_member, session, seeded
):
    campaign = make_campaign(subject="{{ campaign_name }}: a letter from {{ member_name }}")
    assert session.get(Campaign, campaign.id).hashtag == "#skillstohelp"
    subject, _ = letter_skeleton(session, session.get(Campaign, campaign.id))
    assert "hashtag" not in subject and "#" not in subject
    browser.login(make_member(riding=1).email)
    send_letter(browser, campaign, f"district-{district_id(app, 1)}")
    assert "#" not in session.scalar(select(Letter.subject))
    tagged = make_campaign(subject="A letter {{ hashtag }}")
    send_letter(browser, tagged, f"district-{district_id(app, 1)}")
    assert session.scalar(select(Letter.subject).where(Letter.campaign_id == tagged.id)) == "A letter #skillstohelp"


def test_a_letter_written_on_the_skeleton_reads_as_a_letter(app, browser, make_campaign, make_member, session, seeded):
    with app.app_context():
        from crm.extensions import db

        subject, blocks = letter_skeleton(db.session, Campaign(kind="own_representative", name="x"))
    campaign = make_campaign(subject=subject, blocks=[vars(b) for b in blocks])
    member = make_member(riding=1, name="Dr. Sara Haddad")
    browser.login(member.email)
    send_letter(browser, campaign, f"district-{district_id(app, 1)}", **{"block-3": STORY_200})
    letter = session.scalar(select(Letter))
    assert letter.subject == f"{session.get(Campaign, campaign.id).name}: a letter from Dr. Sara Haddad"
    body = letter.body
    assert body.startswith(f"Dear {letter.person.full_name},\n\nMy name is Dr. Sara Haddad and I live in ")
    assert "I am asking you to support ITPO's asks:\n1. A Practice-Ready Assessment" in body
    assert body.index("asks:") < body.index(STORY_200) < body.index("Sincerely,")
    assert body.endswith("Sincerely,") and letter.signature.startswith("--\nDr. Sara Haddad")


def test_the_skeleton_states_the_asks_the_committee_keeps(app, session, seeded):
    from crm.proposals.models import Ask

    session.scalar(select(Ask).where(Ask.code == "residency")).title = "Residency spots for {{ ITPs }}"
    _, blocks = letter_skeleton(session, Campaign(kind="fixed_targets", name="x"))
    ask = sandbox.render(blocks[1].body, sandbox.SAMPLE_CONTEXT)
    assert "2. Residency spots for {{ ITPs }}" in ask  # printed as written, never run as a placeholder
    greeting = sandbox.render(blocks[0].body, sandbox.SAMPLE_CONTEXT)
    assert "your riding" not in greeting and "Dear Jane Example," in greeting
    session.rollback()


def test_literal_text_is_printed_as_written():
    for text in ("plain", "{{ member_name }}", "{% if x %}", "{# note #}"):
        assert sandbox.render(literal(text), sandbox.SAMPLE_CONTEXT) == text
    tricky = "{% raw %}{{ member_name }}{% endraw %}"
    assert sandbox.render(literal(tricky), sandbox.SAMPLE_CONTEXT) == "{ % raw %}{ { member_name }}{ % endraw %}"


def test_the_demo_campaigns_use_the_skeleton(app, session, seeded):
    from crm.dashboards.demo import Scale, _add_campaigns
    from crm.reference.models import Jurisdiction

    ontario = session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
    (campaign, template), *_ = _add_campaigns(session, Scale(10, 2, 0.0), date(2026, 12, 1), ontario)
    subject, blocks = letter_skeleton(session, campaign)
    assert template.subject == subject and "#" not in template.subject
    assert [(b.kind, b.body, b.min_length) for b in template.blocks] == [(b.kind, b.body, b.min_length) for b in blocks]
    sample = services.sample_letter(template)
    assert "Dear Jane Example," in sample and "ITPO's asks" in sample and "Sincerely," in sample
    session.rollback()


def test_the_skeleton_names_the_proposal_version_the_campaign_cites(session, seeded):
    from crm.proposals.services import create_proposal, draft_of, publish_version
    from crm.reference.models import Jurisdiction

    ontario = session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "ON"))
    proposal = create_proposal(session, jurisdiction_id=ontario, title=None, author_id=None)
    version = draft_of(session, proposal.id)
    version.body = "Our asks, costed."
    session.flush()
    publish_version(session, version)
    _, blocks = letter_skeleton(session, Campaign(kind="own_representative", proposal_version_id=version.id))
    ask = sandbox.render(blocks[1].body, sandbox.SAMPLE_CONTEXT)
    assert ask.endswith(
        f"ITPO sets them out in its proposal Proposal to Ontario (version 1, published "
        f"{version.published_at:%Y-%m-%d})."
    )
    session.rollback()
