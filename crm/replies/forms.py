"""The member's answer and the committee's "make it a stance" form: shape only."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from crm.replies.models import ANSWERS, REPLY_TEXT_MAX, TONES
from crm.stakeholders.models import ASKS, POSITIONS


class AnswerForm(FlaskForm):
    answer = RadioField(
        _l("Did the office reply?"),
        choices=[(value, _l(label)) for value, label in ANSWERS],
        validators=[InputRequired(message=_l("Choose one of the three answers."))],
    )
    reply_text = TextAreaField(
        _l("What did they say? (optional)"),
        validators=[
            Length(
                max=REPLY_TEXT_MAX,
                message=_l(
                    "Keep it to %(count)s characters: paste the key sentences of their reply, not the whole letter.",
                    count=f"{REPLY_TEXT_MAX:,}",
                ),
            )
        ],
    )
    tone = RadioField(
        _l("How did it sound? (optional)"),
        choices=[("", _l("Rather not say")), *((value, _l(label)) for value, label in TONES)],
        default="",
    )
    submit = SubmitField(_l("Save my answer"))


class StanceFromReplyForm(FlaskForm):
    ask = SelectField(_l("Ask"), choices=[(value, _l(label)) for value, label in ASKS])
    position = SelectField(_l("Position"), choices=[(value, _l(label)) for value, label in POSITIONS])
    submit = SubmitField(_l("Make it a stance"))
