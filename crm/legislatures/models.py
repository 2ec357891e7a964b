"""The Represent API's answers, cached by path (migration 0040)."""

from datetime import datetime

from sqlalchemy import String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db


class RepresentAnswer(db.Model):
    """One answer of the Represent API (e.g. /postcodes/B3H4R2/), kept so a repeat asks nothing and an outage
    still finds what was once found."""

    __tablename__ = "represent_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(300), unique=True)
    body: Mapped[str] = mapped_column(Text)  # the JSON as received; "null" for a 404 (a code Represent does not know)
    fetched_at: Mapped[datetime] = mapped_column(server_default=func.now())
