"""Security headers on every response, with a CSP that allows no inline script."""

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=(), payment=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-store")
    return response


def reject_nul_bytes():
    """No field of ours accepts NUL; PostgreSQL refuses it, so answer 400 before anything runs."""
    from flask import abort, current_app, request

    sources = [request.args]
    # A large upload is left to its own route, which may raise the size limit before parsing.
    if request.mimetype in _FORM_TYPES and (request.content_length or 0) <= current_app.config["MAX_CONTENT_LENGTH"]:
        sources.append(request.form)
    for values in sources:
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def register_security(app) -> None:
    app.before_request(reject_nul_bytes)
    app.after_request(set_security_headers)
    if app.config["CRM_ENV"] == "production":

        @app.after_request
        def hsts(response):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
            return response
