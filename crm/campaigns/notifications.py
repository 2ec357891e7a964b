"""Tell a member when their letter could not be delivered, with a copy to send another way.

The outbox knows nothing about letters; it announces status changes with a signal that this
module listens to (connected when the campaigns package is imported).
"""

from flask import render_template
from sqlalchemy import select

from crm.campaigns.models import Letter
from crm.outbox.services import queue_message
from crm.outbox.signals import message_status_changed

UNDELIVERED = {"failed", "bounced", "dropped"}


@message_status_changed.connect
def notify_member_of_undelivered_letter(sender, *, session, message_id, kind, user_id, old_status, new_status, **_):
    """Queue one notice with the letter's text when a letter's message first ends undelivered."""
    if kind != "letter" or new_status not in UNDELIVERED or old_status in UNDELIVERED:
        return
    letter = session.scalar(select(Letter).where(Letter.message_id == message_id))
    if letter is None or letter.user is None:
        return
    text = render_template(
        "email/letter_undelivered.txt",
        letter=letter,
        member=letter.user,
        campaign=letter.campaign,
        target=letter.person,
        status=new_status,
    )
    queue_message(
        session,
        kind="letter_undelivered",
        to=letter.user.email,
        subject=f"Your letter to {letter.person.full_name} was not delivered",
        text=text,
        user_id=letter.user_id,
    )
