"""Markdown written by users, rendered to HTML that is safe to put on a page.

Python-Markdown passes raw HTML through untouched (that is the Markdown spec), so its output is
never trusted: nh3 (the Rust `ammonia` sanitiser) keeps only the tags and attributes below and
drops `<script>`/`<style>` with their content, event handlers and `javascript:` URLs.
"""

import markdown as _markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "del",
    "ins",
    "blockquote",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sup",
    "sub",
    "dl",
    "dt",
    "dd",
    "abbr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["extra", "sane_lists"]


def render_markdown(text: str | None) -> Markup:
    """Markdown → sanitised HTML, marked safe for Jinja. Links get rel="noopener noreferrer nofollow"."""
    html = _markdown.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    return Markup(
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
        )
    )
