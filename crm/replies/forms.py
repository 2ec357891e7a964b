"""The member's answer and the committee's "make it a stance" form: shape only."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from crm.replies.models import ANSWERS, REPLY_TEXT_MAX, TONES
from crm.stakeholders.models import ASKS, POSITIONS


class AnswerForm(FlaskForm):
    answer = RadioField(
        "Did the office reply?", choices=ANSWERS, validators=[InputRequired(message="Choose one of the three answers.")]
    )
    reply_text = TextAreaField(
        "What did they say? (optional)",
        validators=[
            Length(
                max=REPLY_TEXT_MAX,
                message=f"Keep it to {REPLY_TEXT_MAX:,} characters: paste the key "
                "sentences of their reply, not the whole letter.",
            )
        ],
    )
    tone = RadioField("How did it sound? (optional)", choices=[("", "Rather not say"), *TONES], default="")
    submit = SubmitField("Save my answer")


class StanceFromReplyForm(FlaskForm):
    ask = SelectField("Ask", choices=ASKS)
    position = SelectField("Position", choices=POSITIONS)
    submit = SubmitField("Make it a stance")
