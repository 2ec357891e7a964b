"""The hardened sandbox letter templates render in, and the fixed set of placeholders they may use.

A lead's template is untrusted text. It renders in an `ImmutableSandboxedEnvironment` with:
- a fixed set of names (PLACEHOLDERS) and no globals (no `range`, `lipsum`, `cycler`, ...);
- undefined names as errors (StrictUndefined);
- no loops, macros, calls, includes or imports (rejected when the template is parsed), so render
  time grows with the template's length only;
- a few harmless filters only (no `replace`, `center`, `format`: they can build huge strings);
- `*` and `**` intercepted: large repetition or power is refused;
- a cap on output size and on render time, checked while the output streams.

What a member types (a personal story, an edited paragraph) is never rendered: it is plain text.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

# The documented placeholder set: name → what it holds. Leads see this list next to the editor.
PLACEHOLDERS = {
    "member_name": "the member's full name",
    "member_riding": "the member's riding (electoral district)",
    "representative_name": "the recipient's name (their MPP, or the campaign's fixed target)",
    "representative_title": "the recipient's title (e.g. MPP, or Minister of Health)",
    "representative_party": "the recipient's party, or 'independent'",
    "riding_name": "the recipient's riding, if they hold a seat",
    "members_in_riding": "the number of ITPO members in the member's riding ('fewer than 5' under 5)",
    "hashtag": "the campaign's hashtag, e.g. #skillstohelp",
    "campaign_name": "the campaign's name",
}

SAMPLE_CONTEXT = {
    "member_name": "Dr. Amina Sample",
    "member_riding": "Toronto Centre",
    "representative_name": "Jane Example",
    "representative_title": "MPP",
    "representative_party": "Ontario Liberal Party",
    "riding_name": "Toronto Centre",
    "members_in_riding": "12",
    "hashtag": "#skillstohelp",
    "campaign_name": "Skills to help",
}

MAX_TEMPLATE_CHARS = 20_000
MAX_OUTPUT_CHARS = 20_000
MAX_RENDER_SECONDS = 0.5
MAX_REPEAT = 1_000
MAX_EXPONENT = 64

ALLOWED_FILTERS = ("upper", "lower", "title", "capitalize", "trim", "default", "d")
FORBIDDEN_NODES = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.Call, nodes.FilterBlock, nodes.Extends,
                   nodes.Include, nodes.Import, nodes.FromImport, nodes.With, nodes.Scope, nodes.ScopedEvalContextModifier,
                   nodes.Assign, nodes.AssignBlock)


class TemplateProblem(Exception):
    """The template cannot be used; the message says why, in words a lead can act on."""


class LimitExceeded(SecurityError):
    """Rendering would exceed a size or time limit."""


class LetterSandbox(ImmutableSandboxedEnvironment):
    """Immutable sandbox with StrictUndefined, intercepted `*` and `**`, and nothing but the placeholders."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self):
        super().__init__(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
                         auto_reload=False, cache_size=200)
        self.globals.clear()
        self.filters = {name: self.filters[name] for name in ALLOWED_FILTERS}

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and count * max(len(seq), 1) > MAX_REPEAT:
                    raise LimitExceeded("Repeating text that many times is not allowed in a letter template.")
            if isinstance(left, (int, float)) and isinstance(right, (int, float)) and abs(left * 1.0) * abs(right) > 1e15:
                raise LimitExceeded("Numbers that large are not allowed in a letter template.")
        if operator == "**":
            if not isinstance(right, (int, float)) or abs(right) > MAX_EXPONENT or abs(left) > 1e6:
                raise LimitExceeded("Powers that large are not allowed in a letter template.")
        return super().call_binop(context, operator, left, right)


_ENV = LetterSandbox()


def _check_syntax(source: str):
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateProblem(f"A template part may hold at most {MAX_TEMPLATE_CHARS:,} characters.")
    try:
        tree = _ENV.parse(source)
    except TemplateError as error:
        raise TemplateProblem(f"The template has a syntax error: {error.message}") from None
    for node in tree.find_all(FORBIDDEN_NODES):
        kind = type(node).__name__.lower()
        raise TemplateProblem(f"Letter templates may use placeholders and if-blocks only; '{kind}' is not allowed "
                              f"(line {node.lineno}).")
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in PLACEHOLDERS:
            raise TemplateProblem(f"'{node.name}' is not a placeholder. Use one of: {', '.join(PLACEHOLDERS)}.")
    for node in tree.find_all(nodes.Getattr):
        raise TemplateProblem(f"Attributes such as '.{node.attr}' are not allowed; use the placeholders as they are.")
    for node in tree.find_all(nodes.Getitem):
        raise TemplateProblem("Indexing (square brackets) is not allowed; use the placeholders as they are.")
    for node in tree.find_all(nodes.Filter):
        if node.name not in ALLOWED_FILTERS:
            raise TemplateProblem(f"The filter '{node.name}' is not allowed. Use one of: {', '.join(ALLOWED_FILTERS)}.")
    return tree


def check_template(source: str) -> None:
    """Raise TemplateProblem if `source` breaks a rule, without rendering it."""
    _compiled(source)


@lru_cache(maxsize=512)
def _compiled(source: str):
    """Checked and compiled once per distinct text: templates are immutable versions, so this stays small."""
    _check_syntax(source)
    try:
        return _ENV.from_string(source)
    except TemplateError as error:
        raise TemplateProblem(f"The template has a syntax error: {error.message}") from None


def render(source: str, context: dict, *, max_chars: int = MAX_OUTPUT_CHARS,
           max_seconds: float = MAX_RENDER_SECONDS) -> str:
    """Render untrusted template text with `context`; raise TemplateProblem on any failure or limit."""
    compiled = _compiled(source)
    values = {name: context.get(name, "") for name in PLACEHOLDERS}
    started = time.perf_counter()
    parts: list[str] = []
    size = 0
    try:
        for chunk in compiled.generate(values):
            size += len(chunk)
            if size > max_chars:
                raise LimitExceeded(f"The letter would be longer than {max_chars:,} characters.")
            if time.perf_counter() - started > max_seconds:
                raise LimitExceeded("The template takes too long to render.")
            parts.append(chunk)
    except TemplateProblem:
        raise
    except LimitExceeded as error:
        raise TemplateProblem(str(error)) from None
    except SecurityError as error:
        raise TemplateProblem(f"The template tries something unsafe: {error}") from None
    except TemplateError as error:
        raise TemplateProblem(f"The template cannot be rendered: {error.message}") from None
    except (ArithmeticError, TypeError, ValueError) as error:
        raise TemplateProblem(f"The template cannot be rendered: {error}") from None
    return "".join(parts)


@dataclass
class RenderedBlock:
    """One block as the member sees it: its kind, label, text (pre-filled or prompt) and minimum length."""

    position: int
    kind: str
    label: str | None
    text: str
    min_length: int
