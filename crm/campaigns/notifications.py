"""Tell a member when their letter could not be delivered, with a copy to send another way.

The outbox knows nothing about letters; it announces status changes with a signal that this
module listens to (connected when the campaigns package is imported).
"""

from flask import render_template
from flask_babel import gettext
from sqlalchemy import select

from crm.campaigns.models import Letter
from crm.lib.i18n import in_language, recipient_language
from crm.outbox.services import queue_message
from crm.outbox.signals import message_status_changed

UNDELIVERED = {"failed", "bounced", "dropped"}


@message_status_changed.connect
def notify_member_of_undelivered_letter(sender, *, session, message_id, kind, user_id, old_status, new_status, **_):
    """Queue one notice with the letter's text when a letter's message first ends undelivered (a daily digest's
    message carries several letters: each writer gets their own notice)."""
    if kind != "letter" or new_status not in UNDELIVERED or old_status in UNDELIVERED:
        return
    for letter in session.scalars(select(Letter).where(Letter.message_id == message_id).order_by(Letter.id)).all():
        if letter.user is not None:
            _queue_notice(session, letter, new_status)


def _queue_notice(session, letter: Letter, status: str) -> None:
    with in_language(recipient_language(letter.user)):
        text = render_template(
            "email/letter_undelivered.txt",
            letter=letter,
            member=letter.user,
            campaign=letter.campaign,
            target=letter.person,
            status=status,
        )
        subject = gettext("Your letter to %(name)s was not delivered", name=letter.person.full_name)
    queue_message(
        session,
        kind="letter_undelivered",
        to=letter.user.email,
        subject=subject,
        text=text,
        user_id=letter.user_id,
    )
