"""The audit log's filter form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    entity_type = SelectField(_l("Entity"), choices=[], validate_choice=False, validators=[Optional()])
    entity_id = IntegerField(_l("Entity id"), validators=[Optional(), NumberRange(1, 2**31 - 1)])
    actor = StringField(_l("Actor (email or name)"), validators=[Optional(), Length(max=120)])
    action = SelectField(_l("Action"), choices=[], validate_choice=False, validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
