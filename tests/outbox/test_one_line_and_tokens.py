"""What reaches a mail header is one line, and the signed tokens a mailing writes read back, whatever the text."""

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.campaigns.sandbox import fill, split_holes
from crm.mailings.links import read_token, token_maker
from crm.outbox.bulk import PERSONAL_TEXT_MAX_BYTES, personal_text_fits, read_unsubscribe_token, unsubscribe_token
from crm.outbox.services import _CONTROL_RE, one_line


@settings(max_examples=3000, deadline=None)
@given(st.text())
def test_one_line_collapses_every_control_character_and_run_of_whitespace(text):
    """The fast path for text already on one line gives what the full collapse gives."""
    assert one_line(text) == " ".join(_CONTROL_RE.sub(" ", text).split())


def test_one_line_keeps_a_plain_subject_and_collapses_a_header_injection():
    assert one_line("Write to Chris Glover — today") == "Write to Chris Glover — today"
    assert one_line("Hi\r\nBcc: x@example.org") == "Hi Bcc: x@example.org"
    assert one_line(" a\u00a0 b\u2028") == "a b" and one_line(None) == ""


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.integers(0, 2400), min_size=4, max_size=4))
def test_a_personal_text_fits_exactly_when_its_utf8_fits(counts):
    """The shortcut by length in characters never lets through a text whose bytes are too many: texts of
    characters of 1 to 4 bytes in UTF-8, around the limit."""
    text = "".join(character * count for character, count in zip("aé€😀", counts, strict=True))
    assert personal_text_fits(text) == (len(text.encode("utf-8")) <= PERSONAL_TEXT_MAX_BYTES)


def test_a_stencil_is_filled_hole_by_hole_and_left_as_it_was():
    parts = split_holes("Dear \ue000member_name\ue001, write to \ue000representative_name\ue001.")
    values = {"member_name": "Zoë", "representative_name": "Chris Glover"}
    assert fill(parts, values) == "Dear Zoë, write to Chris Glover."
    assert fill(parts, values) == fill(parts, values) and "Zoë" not in parts


def test_an_unsubscribe_token_for_an_address_outside_ascii_reads_back(app):
    with app.test_request_context():
        token = unsubscribe_token("Zoë@Exämple.org", 7)
        assert read_unsubscribe_token(token) == {"a": "zoë@exämple.org", "u": 7}


def test_a_mailings_action_link_reads_back_what_it_carries(app):
    with app.test_request_context():
        link = read_token(token_maker()(12, 3, 4, "district-101"))
    assert (link.user_id, link.campaign_id, link.mailing_id, link.recipient_key) == (12, 3, 4, "district-101")
