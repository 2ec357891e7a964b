"""At every common width from a small phone to a wide screen, every menu item is on screen, whole, and clear of
the others, for a member, a committee member and an admin (a collapsed menu counts once its toggle opens it)."""

import pytest

from tests.e2e.conftest import login_as, screenshot

WIDTHS = (360, 390, 768, 1024, 1280, 1920)
# A long name (the account link shows it) is what pushed "Log out" off a 1280 px screen.
LONG_NAMES = {
    "member": "Dr. Oluwaseun Adebayo-Fitzgerald Nakamura",
    "committee": "Marie-Ève Tremblay-Okonkwo",
    "admin": "Alexandra Papadopoulou-Santos",
}
MENU_ITEMS = "header nav .navbar-brand, header nav .nav-link, header nav .btn, header nav .navbar-toggler"

# Returns what is wrong with the menu as drawn: items off screen, cut, or on top of each other.
MENU_PROBLEMS_JS = """
(selector) => {
  const width = document.documentElement.clientWidth;
  const shown = [...document.querySelectorAll(selector)].filter(el => {
    const style = getComputedStyle(el);
    return el.getClientRects().length && style.visibility !== 'hidden' && style.display !== 'none';
  });
  const problems = [];
  const boxes = shown.map(el => [el, el.getBoundingClientRect(), (el.innerText || el.getAttribute('aria-label')
    || '').trim().replace(/\\s+/g, ' ')]);
  for (const [el, r, label] of boxes) {
    if (r.width < 1 || r.height < 1) problems.push(`${label}: no size`);
    if (r.left < -0.5 || r.right > width + 0.5)
      problems.push(`${label}: off screen (${r.left}-${r.right} of ${width})`);
    if (el.scrollWidth > el.clientWidth + 1)
      problems.push(`${label}: text cut (${el.scrollWidth} > ${el.clientWidth})`);
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX !== 'visible' || style.overflowY !== 'visible') {
        const box = up.getBoundingClientRect();
        const outside = r.left < box.left - 0.5 || r.right > box.right + 0.5;
        if (outside || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
          problems.push(`${label}: clipped by its container`);
      }
    }
  }
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i][1], b = boxes[j][1];
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 1 && h > 1 && !boxes[i][0].contains(boxes[j][0]) && !boxes[j][0].contains(boxes[i][0]))
      problems.push(`${boxes[i][2]} overlaps ${boxes[j][2]}`);
  }
  if (document.documentElement.scrollWidth > width + 1) problems.push(`the page scrolls sideways`);
  return problems;
}
"""


def _visible_labels(page) -> set[str]:
    return {
        " ".join(text.split())
        for text in page.eval_on_selector_all(
            MENU_ITEMS, "els => els.filter(e => e.getClientRects().length).map(e => e.innerText)"
        )
        if text.strip()
    }


def _open_menu_if_collapsed(page) -> None:
    toggle = page.locator(".navbar-toggler")
    if toggle.is_visible():
        assert page.locator("#nav-main").is_hidden() or page.locator("#nav-main.show").count()
        toggle.click()
        page.wait_for_selector("#nav-main.show", state="visible")
        page.wait_for_function("!document.querySelector('.collapsing')")


def _check_every_width(page, live_server, role: str, expected: set[str]) -> dict:
    problems = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(live_server.url + "/home")
        before = page.evaluate(MENU_PROBLEMS_JS, MENU_ITEMS)
        _open_menu_if_collapsed(page)
        after = page.evaluate(MENU_PROBLEMS_JS, MENU_ITEMS)
        missing = {label for label in expected if not any(label in shown for shown in _visible_labels(page))}
        found = before + after + [f"{label}: not shown" for label in sorted(missing)]
        if found:
            problems[width] = found
        if width in (390, 1280):
            screenshot(page, f"menu-{role}-{width}")
    return problems


def _named(live_server, role: str) -> str:
    """Create the role's e2e account with a long name (login_as then logs it in)."""
    from crm.auth.services import create_user, find_user_by_email
    from crm.extensions import db
    from tests.conftest import PASSWORD

    email = f"e2e-fit-{role}@example.org"
    with live_server.app.app_context():
        if find_user_by_email(db.session, email) is None:
            user = create_user(
                db.session, email=email, password=PASSWORD, role=role, confirmed=True, name=LONG_NAMES[role]
            )
            if user.mfa_required:
                from datetime import datetime

                import pyotp

                from crm.auth.totp_secrets import seal

                user.totp_secret, user.mfa_enabled_at = seal(user.id, pyotp.random_base32()), datetime.utcnow()
            db.session.commit()
        db.session.remove()
    return email


MEMBER_MENU = {"Home", "My letters", "Take action", "Programs", "Proposals", "Asks", "Log out"}
STAFF_MENU = {"Dashboards", "People", "Organizations", "Interactions", "My follow-ups"}


@pytest.mark.parametrize(
    "role, expected",
    [
        ("member", MEMBER_MENU | {"My #mppchats"}),
        ("committee", MEMBER_MENU | STAFF_MENU),
        ("admin", MEMBER_MENU | STAFF_MENU | {"Campaigns", "Users", "Audit log", "Roster"}),
    ],
)
def test_every_menu_item_is_on_screen_whole_and_apart_at_six_widths(page, live_server, role, expected):
    login_as(page, live_server, role, _named(live_server, role))
    assert _check_every_width(page, live_server, role, expected) == {}
