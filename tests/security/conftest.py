"""Fixtures the security tests share with the domain tests, and the route helpers the route walks use."""

from __future__ import annotations

import re

from crm.auth.access import ANYONE_LOGGED_IN, PUBLIC
from tests.campaigns.conftest import make_campaign, make_member  # noqa: F401  (fixtures)
from tests.outbox.conftest import fake_server, sendgrid  # noqa: F401  (fixtures)
from tests.programs.conftest import make_event, programs  # noqa: F401  (fixtures)


def concrete_url(rule) -> str:
    """A URL for a rule, filling converters with harmless values."""
    url = rule.rule
    url = re.sub(r"<int(?:\([^)]*\))?:[^>]+>", "999999", url)
    url = re.sub(r"<(?:string:|path:)?[^>]+>", "nothing", url)
    return url


def table_allows(rule_value, role: str | None) -> bool:
    """Does the access table's entry let this role (None: a visitor) in?"""
    if rule_value == PUBLIC:
        return True
    if role is None:
        return False
    return rule_value == ANYONE_LOGGED_IN or role in rule_value


def log_in_as(browser, make_user, role: str | None) -> None:
    """Log the browser in as a new user with this role; None stays a visitor."""
    if role:
        make_user(role=role, email=f"{role}-walker@example.org")
        browser.login(f"{role}-walker@example.org")
