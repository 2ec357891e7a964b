"""English and French (issue 25): each request's locale, emails in the recipient's language, Toronto time.

The locale: a member's `users.language`, else the visitor's `lang` cookie (the EN | FR switch), else the browser's
`Accept-Language`, else English; an unknown code counts as no choice. Without a compiled catalogue, all is English.
"""

from contextlib import contextmanager
from pathlib import Path

from flask import current_app, has_request_context, request
from flask_babel import Babel, force_locale, get_locale

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
LANGUAGES = ("en", "fr")
DEFAULT = "en"
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600
TIMEZONE = "America/Toronto"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def N_(message: str) -> str:
    """Mark a constant for extraction without translating it here: where it is shown, `_()` translates it."""
    return message


def translate_data(text: str | None) -> str | None:
    """{{ value|tr }}: a stored value that may be a marked (N_) constant, translated; anything else (what someone
    typed) unchanged. Unlike {{ _(value) }}, a % in the value is never taken for a placeholder."""
    from flask_babel import gettext

    return gettext(text) if text else text


def available() -> tuple[str, ...]:
    """English, and each language whose catalogue is compiled (without its .mo, French is not offered)."""
    return current_app.extensions.get("crm.languages", (DEFAULT,))


def normalise(code: str | None) -> str | None:
    """`fr`, `fr-CA`, `FR_ca` → `fr`; anything not ours (or not compiled) → None (the caller falls back)."""
    if not code or not isinstance(code, str):
        return None
    base = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in available() else None


def chosen_language() -> str | None:
    """What this person explicitly chose: a member's profile, else the visitor's cookie."""
    from flask_login import current_user

    user_choice = normalise(getattr(current_user, "language", None)) if current_user else None
    return user_choice or normalise(request.cookies.get(COOKIE))


def select_locale() -> str:
    """The request's language: an explicit choice, else the browser's, else English."""
    if not has_request_context():
        return DEFAULT
    if request.path.startswith("/api/"):
        return api_language()
    return chosen_language() or browser_language() or DEFAULT


def api_language() -> str:
    """The public API's language: English unless asked ?lang=fr. What `current_language()` answers there, without
    Flask-Babel's locale objects (a lookup's hot path)."""
    return normalise(request.args.get("lang")) or DEFAULT


def browser_language() -> str | None:
    """The first of the browser's languages (by quality) that we speak: `en-CA,fr;q=0.3` is English."""
    for value, quality in request.accept_languages:
        language = normalise(value)
        if language and quality > 0:
            return language
    return None


def select_timezone() -> str:
    return TIMEZONE


def current_language() -> str:
    """`en` or `fr`, for `<html lang>` and for choosing a letter template or a reference name."""
    locale = get_locale()
    return normalise(str(locale)) if locale is not None else DEFAULT


def recipient_language(user) -> str:
    """The language of an email to `user`: their profile's, English when unset (never the sender's browser)."""
    return normalise(getattr(user, "language", None)) or DEFAULT


@contextmanager
def in_language(language: str | None):
    """Render what is inside (an email's subject and body) in `language`, English when unknown."""
    with force_locale(normalise(language) or DEFAULT):
        yield


_form_catalogues: dict = {}  # Babel's Locale (None: no request) -> WTForms' catalogue


def form_translations():
    """WTForms' own messages ("This field is required.") in the request's language, read from disk once per
    language and process: Flask-WTF reads the catalogue again on every request that builds a form."""
    from babel import support
    from wtforms.i18n import messages_path

    locale = get_locale()
    found = _form_catalogues.get(locale)
    if found is None:
        language = str(locale or DEFAULT)
        found = _form_catalogues[locale] = support.Translations.load(messages_path(), [language], domain="wtforms")
    return found


def init_i18n(app) -> None:
    """Flask-Babel with our selectors and catalogue folder; `lang` for `<html lang>` in every template."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    directory = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    compiled = {code for code in LANGUAGES if (directory / code / "LC_MESSAGES" / "messages.mo").exists()}
    app.extensions["crm.languages"] = tuple(code for code in LANGUAGES if code == DEFAULT or code in compiled)
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks ignore line breaks and indentation
    app.add_template_filter(translate_data, "tr")

    @app.context_processor
    def language_helpers():
        return {"lang": current_language(), "language_names": LANGUAGE_NAMES, "languages": available()}

    @app.after_request
    def vary_on_language(response):
        if response.mimetype == "text/html":
            response.vary.update(("Cookie", "Accept-Language"))
        return response


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile each `.po` whose `.mo` is missing or older (what `make install` does with pybabel), written
    atomically so parallel test workers never read half a file. Returns the files written."""
    import os
    import tempfile

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle)
        fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as handle:
            write_mo(handle, catalog)
        os.replace(tmp, mo)
        written.append(mo)
    return written
