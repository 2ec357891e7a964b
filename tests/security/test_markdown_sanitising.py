"""Markdown written by users renders as sanitised HTML."""

from markupsafe import Markup

from crm.lib.markdown import render_markdown


def test_markdown_renders_headings_lists_links_and_tables():
    html = render_markdown("# Ask\n\n- one\n- two\n\n[MCC](https://mcc.ca)\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert isinstance(html, Markup)
    assert "<h1>Ask</h1>" in html and "<li>one</li>" in html and "<td>1</td>" in html
    assert '<a href="https://mcc.ca" rel="noopener noreferrer nofollow">MCC</a>' in html


def test_script_raw_html_and_javascript_links_are_removed():
    html = render_markdown(
        '<script>alert("x")</script>\n\n<img src=x onerror="alert(1)">'
        '<iframe src="https://evil.example"></iframe> <b onclick="steal()">bold</b> '
        "[click](javascript:alert(1)) <style>body{}</style>"
    )
    lowered = html.lower()
    for bad in ("<script", "alert(", "onerror", "onclick", "<iframe", "javascript:", "<style", "<img"):
        assert bad not in lowered
    assert "<b>bold</b>" in html


def test_empty_text_renders_nothing():
    assert render_markdown(None) == "" and render_markdown("") == ""
