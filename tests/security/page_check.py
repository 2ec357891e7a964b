"""Reading pages as a browser would: what markup is live, what text shows, and a crawler that follows links."""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background"}
FOREIGN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}
# Addresses the crawler never follows: assets, downloads, one-time tokens, and pages that act on a GET.
SKIPPED_PATHS = re.compile(
    r"^/(static|bootstrap|api|dev|unsubscribe|confirm/|password/reset/|account/email/)"
    r"|\.(csv|xlsx|pdf|ics|json|eml)$"
)


def _squashed(value: str) -> str:
    """A URL as a browser reads its scheme: control characters and whitespace ignored, any case."""
    return re.sub(r"[\x00-\x20]", "", value).lower()


class PageReader(HTMLParser):
    """Parses one HTML page: collects live markup that no page of ours should have, the text, attributes and links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self.shown: list[str] = []  # text and attribute values, as the browser has them after unescaping
        self.links: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            self.shown.append(value)
            if name.startswith("on"):
                self.live.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and _squashed(value).startswith(("javascript:", "vbscript:")):
                self.live.append(f"<{tag} {name}={value!r}>")
            if (
                name in URL_ATTRIBUTES
                and _squashed(value).startswith("data:")
                and not (tag == "img" and _squashed(value).startswith("data:image/"))
            ):
                self.live.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self._in_script = True
            if not values.get("src"):
                self.live.append("an inline <script>")
        if tag in FOREIGN_TAGS or (tag == "img" and values.get("src") == "x"):
            self.live.append(f"<{tag} {values}>")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.live.append(f"script text {data[:60]!r}")
        self.shown.append(data)


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return reader


@dataclass
class Crawl:
    """What a crawl saw: every HTML page by URL, with its live markup and what it shows."""

    pages: dict[str, PageReader] = field(default_factory=dict)
    missing_csp: list[str] = field(default_factory=list)

    def live_markup(self) -> dict[str, list[str]]:
        return {url: page.live for url, page in self.pages.items() if page.live}

    def pages_showing(self, text: str) -> list[str]:
        return [url for url, page in self.pages.items() if any(text in shown for shown in page.shown)]


def crawl(browser, start: list[str], *, per_endpoint: int = 3, result: Crawl | None = None, label: str = "") -> Crawl:
    """Visit `start` (always) and the links found on the way (at most `per_endpoint` addresses per route)."""
    adapter = browser.app.url_map.bind("localhost")
    result = result or Crawl()
    seen: set[str] = set()
    per_route: Counter = Counter()
    queue = deque((url, True) for url in start)
    while queue:
        url, always = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        parts = urlsplit(url)
        try:
            endpoint, _ = adapter.match(parts.path, method="GET")
        except HTTPException:
            continue
        if not always:
            if per_route[endpoint] >= per_endpoint:
                continue
            per_route[endpoint] += 1
        response = browser.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        csp = response.headers.get("Content-Security-Policy", "")
        if "script-src 'self'" not in csp or "unsafe-inline" in csp:
            result.missing_csp.append(url)
        page = read_page(response.get_data(as_text=True))
        result.pages[f"{label}{url}"] = page
        for link in page.links:
            target = urlsplit(link)
            if target.scheme not in ("", "http") or target.netloc not in ("", "localhost"):
                continue
            address = target.path + (f"?{target.query}" if target.query else "")
            if target.path.startswith("/") and not SKIPPED_PATHS.search(target.path):
                queue.append((address, False))
    return result
