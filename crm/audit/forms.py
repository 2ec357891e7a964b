"""The audit log's filter form."""

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    entity_type = SelectField("Entity", choices=[], validate_choice=False, validators=[Optional()])
    entity_id = IntegerField("Entity id", validators=[Optional(), NumberRange(1, 2**31 - 1)])
    actor = StringField("Actor (email or name)", validators=[Optional(), Length(max=120)])
    action = SelectField("Action", choices=[], validate_choice=False, validators=[Optional()])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
