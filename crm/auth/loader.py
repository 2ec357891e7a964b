"""Who is logged in: the user loader Flask-Login calls, registered by both apps (a worker's job may read
current_user, in the request context it builds its links in)."""

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from crm.auth.models import User
from crm.extensions import db, login_manager

# Relationships of User that higher packages add (members: "profile") and most requests read:
# loaded with the user in one query (register_joined_with_user), so a page needs no second query.
_JOINED_WITH_USER: list[str] = []


def register_joined_with_user(name: str) -> None:
    """Load the User relationship `name` (one row per user) with the logged-in user on every request."""
    if name not in _JOINED_WITH_USER:
        _JOINED_WITH_USER.append(name)


@cache
def _user_by_id(joined: tuple[str, ...]):
    """The statement that loads the logged-in user, built once (building it cost more than running it)."""
    return (
        select(User).where(User.id == bindparam("uid")).options(*(joinedload(getattr(User, name)) for name in joined))
    )


@login_manager.user_loader
def load_user(user_id: str):
    """The id carries the session version; an older version means that session was ended."""
    try:
        uid, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = db.session.scalar(_user_by_id(tuple(_JOINED_WITH_USER)), {"uid": uid})
    if user is None or user.session_version != version or not user.active:
        return None
    return user
