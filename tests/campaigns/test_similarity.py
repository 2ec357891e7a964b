"""Personal, not copied: a story nearly the same as letters already sent is flagged; leads see the bands."""

import random

import pytest
from sqlalchemy import func, select

from crm.campaigns import similarity
from crm.campaigns.models import Letter
from crm.campaigns.similarity_models import LetterSignature, LetterSimilarityBand
from crm.campaigns.similarity_stories import measure_thresholds, story
from crm.stakeholders.models import ElectedOffice

STORY = (
    "I trained in Cairo and practised emergency medicine for eight years at a district hospital. In 2019 I "
    "moved to Brampton with my wife and two children. I passed the MCCQE Part I and the NAC exam and applied "
    "to CaRMS four times without a match. Today I drive for a delivery company. Brampton has thousands of "
    "people without a family doctor, and I could care for them tomorrow."
)
TOUCHED_UP = (
    STORY.replace("eight years", "nine years")
    .replace("four times", "five times")
    .replace("Today I drive", "These days I drive")
)
OTHER_STORY = (
    "My medical degree is from Lahore, and I spent twelve years in pediatrics at a teaching hospital. "
    "We landed in Ottawa in 2016. I studied for the NAC while cleaning offices at night, passed it, and "
    "was turned down by the match three times. Children in Ottawa wait months to see a pediatrician; a "
    "Practice-Ready Assessment spot would let me help them this year."
)


@pytest.fixture
def letters(session, make_campaign, make_member):
    """`write(text, campaign=None, member=None, riding=1)` adds a sent letter and records its similarity."""
    default = make_campaign()
    offices = {}

    def write(text, campaign=None, member=None, riding=1):
        campaign = campaign or default
        member = member or make_member(riding=riding)
        if riding not in offices:
            offices[riding] = session.scalar(
                select(ElectedOffice).where(ElectedOffice.current.is_(True), ElectedOffice.district.has(number=riding))
            )
        office = offices[riding]
        letter = Letter(
            campaign_id=campaign.id,
            user_id=member.id,
            person_id=office.person_id,
            office_id=office.id,
            district_id=office.district_id,
            template_id=campaign.template_id,
            to_address="mpp@example.org",
            subject="A letter",
            body=text,
        )
        session.add(letter)
        session.flush()
        band = similarity.record_letter(session, letter.id, campaign.id, text)
        session.commit()
        return letter.id, band

    write.campaign = default
    return write


def test_the_same_story_with_a_few_words_changed_is_a_near_copy(session, letters):
    first, band = letters(STORY)
    assert band == "personal"  # nothing before it
    result = similarity.check_text(session, letters.campaign.id, TOUCHED_UP)
    assert result.band == "near_copy" and result.score >= similarity.NEAR_COPY
    assert result.matches[0].letter_id == first
    second, band = letters(TOUCHED_UP)
    assert band == "near_copy"
    row = similarity.letter_band(session, second)
    assert row.band == "near_copy" and row.closest_letter_id == first and row.score >= 50


def test_a_different_story_on_the_same_topic_is_personal(session, letters):
    letters(STORY)
    result = similarity.check_text(session, letters.campaign.id, OTHER_STORY)
    assert result.band == "personal" and result.matches == []


def test_a_letter_in_another_campaign_does_not_count(session, letters, make_campaign):
    letters(STORY, campaign=make_campaign())
    assert similarity.check_text(session, letters.campaign.id, TOUCHED_UP).band == "personal"


def test_a_members_own_earlier_letters_do_not_count(session, letters, make_member):
    member = make_member()
    letters(STORY, member=member)
    assert similarity.check_text(session, letters.campaign.id, STORY, exclude_user_id=member.id).band == "personal"
    _, band = letters(STORY, member=member, riding=2)  # the same story to another target
    assert band == "personal"
    assert similarity.check_text(session, letters.campaign.id, STORY).band == "near_copy"  # anyone else


@pytest.mark.parametrize("text", ["", "   ", "Please help.", "I agree with this letter completely, thanks", None])
def test_empty_or_tiny_texts_are_not_checked(session, letters, text):
    assert similarity.check_text(session, letters.campaign.id, text) == similarity.PERSONAL
    letter_id, band = letters(text or "")
    assert band == "personal"
    assert session.get(LetterSignature, letter_id).signature is None
    assert session.scalar(select(func.count()).select_from(LetterSimilarityBand)) == 0


def test_a_story_pasted_by_many_members_is_still_found(session, letters):
    """More letters share each band than are read per band: the copy is still scored against some of them."""
    for _ in range(similarity.CANDIDATES_PER_BAND + 3):
        letters(STORY)
    result = similarity.check_text(session, letters.campaign.id, STORY)
    assert result.band == "near_copy" and result.score == 1.0 and len(result.matches) == similarity.MAX_MATCHES


def test_record_letter_flushes_and_never_commits(session, letters):
    letters(STORY)
    letter = session.get(Letter, session.scalar(select(Letter.id)))
    similarity.forget_words(session, [letter.id])
    session.rollback()
    assert session.get(LetterSignature, letter.id).signature is not None


def test_band_counts_per_riding_and_mpp(session, letters):
    for riding, stories in ((1, 6), (2, 2)):
        for _ in range(stories):
            letters(STORY, riding=riding)  # the first is personal, every later one a near-copy
    for seed in range(5):
        letters(story(random.Random(seed)), riding=2)
    counts = similarity.band_counts(session, letters.campaign.id)
    assert (counts.total.letters, counts.total.near_copies) == (13, 7)
    by_riding = {row.label: row for row in counts.by_riding}
    first, second = counts.by_riding
    assert first.letters == 6 and first.near_copies == 5 and first.shown_share == "83%"
    assert second.letters == 7 and second.shown_near_copies == "fewer than 5" and second.shown_share == "under 72%"
    assert len(by_riding) == 2 and len(counts.by_mpp) == 2
    assert sorted(row.letters for row in counts.by_mpp) == [6, 7]


def test_small_counts_are_not_shown_exactly():
    row = similarity.BandRow("Riding", letters=3, near_copies=2, similar=0)
    assert (row.shown_letters, row.shown_near_copies, row.shown_share) == ("fewer than 5", "fewer than 5", "—")


def test_erasing_a_member_drops_the_hashes_and_keeps_the_band(session, letters, make_member):
    from crm.members.privacy import _SOURCES

    member = make_member()
    letters(STORY)
    letter_id, _ = letters(TOUCHED_UP, member=member)
    _SOURCES["letter_similarity"].erase(session, member.id)
    session.commit()
    row = session.get(LetterSignature, letter_id)
    assert row.signature is None and row.band == "near_copy"
    assert (
        session.scalar(
            select(func.count()).select_from(LetterSimilarityBand).where(LetterSimilarityBand.letter_id == letter_id)
        )
        == 0
    )


def test_the_lead_sees_near_copies_per_riding_and_members_cannot(browser, letters, make_user):
    letters(STORY)
    letters(TOUCHED_UP)
    url = f"/manage/campaigns/{letters.campaign.id}/similarity"
    member = make_user(role="member")
    browser.login(member.email)
    assert browser.get(url).status_code == 403
    browser.logout()
    browser.login(letters.campaign.lead.email)
    html = browser.get(url).get_data(as_text=True)
    assert "similarity-by-riding" in html and "fewer than 5" in html
    assert browser.get("/manage/campaigns/999999/similarity").status_code == 404


def test_the_thresholds_separate_touched_up_copies_from_other_stories():
    """Measured on synthetic letters (the demo's): the figures the module docstring and README state."""
    rates = measure_thresholds(random.Random(21), stories=300)
    assert rates["near_copy_found_3_to_6_words_changed"] >= 0.99
    assert rates["other_story_flagged_near_copy"] == 0
    assert rates["other_story_flagged_similar"] <= 0.01


def test_words_are_folded():
    assert similarity.words("Québec, ONT. — l’hôpital_x") == ["quebec", "ont", "l", "hopital", "x"]


def test_ascii_text_is_folded_without_the_per_character_pass(monkeypatch):
    """An English story has no accents to strip: it skips the decomposition (and the same words come out)."""
    import unicodedata

    calls = []
    original = unicodedata.normalize
    monkeypatch.setattr(unicodedata, "normalize", lambda form, text: calls.append(text) or original(form, text))
    assert similarity.words("Straße, ONT. fine_x ½") == ["strasse", "ont", "fine", "x", "1", "2"]
    assert similarity.words("I trained_abroad, ONT. 8 years") == ["i", "trained", "abroad", "ont", "8", "years"]
    assert calls == ["strasse, ont. fine_x ½"]


def test_demo_letters_carry_signatures_and_a_handful_are_near_copies(app, runner, seeded, browser, make_user):
    from crm.campaigns.models import Campaign

    assert runner.invoke(args=["crm", "demo", "--scale", "small"]).exit_code == 0
    with app.app_context():
        from crm.extensions import db

        letters_count = db.session.scalar(select(func.count()).select_from(Letter))
        bands = dict(
            db.session.execute(select(LetterSignature.band, func.count()).group_by(LetterSignature.band)).all()
        )
        live = db.session.scalar(select(Campaign.id).where(Campaign.slug == "demo-1"))
    assert sum(bands.values()) == letters_count
    assert 0.01 * letters_count < bands["near_copy"] < 0.06 * letters_count
    assert bands["personal"] > 0.8 * letters_count
    lead = make_user(role="lead")
    browser.login(lead.email)
    html = browser.get(f"/manage/campaigns/{live}/similarity").get_data(as_text=True)
    assert "similarity-by-mpp" in html and "%" in html
