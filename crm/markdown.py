"""Markdown that users type, rendered to sanitised HTML (nh3 keeps only harmless tags)."""
import markdown as _markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
                "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def render_markdown(text: str | None) -> Markup:
    """Markdown → HTML with scripts, event handlers, styles and unsafe URLs removed."""
    if not text:
        return Markup("")
    html = _markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)
