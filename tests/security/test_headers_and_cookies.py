"""Security headers on every page (a CSP with no inline script) and cookies a script cannot read."""


def test_cookies_are_http_only_and_same_site_and_secure_outside_development():
    from crm.config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_HTTPONLY and ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True


def test_every_page_carries_a_csp_without_inline_script(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "onclick" not in html


def test_sessions_cookie_is_http_only_and_same_site(browser, make_user):
    make_user(email="cookie@example.org")
    response = browser.login("cookie@example.org")
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
