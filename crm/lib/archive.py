"""Archive instead of delete, shared by the directory and the interaction log: the record drops out of lists
and keeps its page and history; the audit trail records `archived` before → after."""

from flask import flash, redirect
from flask_babel import gettext
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import HiddenField
from wtforms.validators import Regexp

from crm.extensions import db


class ArchiveForm(FlaskForm):
    archived = HiddenField(validators=[Regexp(r"^[01]$")])


def set_archived(session: Session, record, archived: bool) -> None:
    """Archive or restore any record with an `archived` column."""
    record.archived = archived
    session.flush()


def archive_view(record, name: str, back: str):
    """The POST behind an Archive / Restore button: apply it, commit, say what happened, go back."""
    form = ArchiveForm()
    if form.validate_on_submit():
        set_archived(db.session, record, form.archived.data == "1")
        db.session.commit()
        if record.archived:
            flash(gettext("%(name)s archived.", name=name), "success")
        else:
            flash(gettext("%(name)s restored.", name=name), "success")
    else:
        flash(gettext("The archive request was not valid; reload the page and try again."), "danger")
    return redirect(back)
