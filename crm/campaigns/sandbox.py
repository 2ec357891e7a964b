"""The hardened sandbox that lead-written templates (letters, mailings) render in.

Why it works this way: docs/design-notes.md, "campaigns/sandbox.py".
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from crm.lib.i18n import N_

# The documented placeholder set: name → what it holds. Leads see this list next to the editor.
PLACEHOLDERS = {
    "member_name": N_("the member's full name"),
    "member_riding": N_("the member's riding (electoral district)"),
    "representative_name": N_("the recipient's name (their MPP, or the campaign's fixed target)"),
    "representative_title": N_("the recipient's title (e.g. MPP, or Minister of Health)"),
    "representative_party": N_("the recipient's party, or 'independent'"),
    "riding_name": N_("the recipient's riding, if they hold a seat"),
    "members_in_riding": N_("the number of ITPO members in the member's riding ('fewer than 5' under 5)"),
    "hashtag": N_("the campaign's hashtag, e.g. #skillstohelp"),
    "campaign_name": N_("the campaign's name"),
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
MAX_VALUE_CHARS = 20_000  # any one value an operator builds or an expression prints
MAX_RENDER_SECONDS = 0.5
MAX_REPEAT = 1_000
MAX_NUMBER = 1e15
MAX_DEPTH = 50

# What the sandbox allows: the one list. Anything else is refused when the template is checked.
ALLOWED_NODES = frozenset(
    {
        nodes.Template,
        nodes.Output,
        nodes.TemplateData,
        nodes.If,
        nodes.Name,
        nodes.Const,
        nodes.List,
        nodes.Tuple,
        nodes.CondExpr,
        nodes.And,
        nodes.Or,
        nodes.Not,
        nodes.Neg,
        nodes.Pos,
        nodes.Compare,
        nodes.Operand,
        nodes.Concat,
        nodes.Add,
        nodes.Sub,
        nodes.Mul,
        nodes.Div,
        nodes.Filter,
        nodes.Test,
        nodes.Keyword,
    }
)
ALLOWED_OPERATORS = frozenset({"+", "-", "*", "/"})  # `~`, `and`, `or`, `not` are nodes of their own
ALLOWED_COMPARISONS = frozenset({"eq", "ne", "lt", "lteq", "gt", "gteq", "in", "notin"})
ALLOWED_FILTERS = ("upper", "lower", "title", "capitalize", "trim", "default", "d")
ALLOWED_TESTS = (
    "defined",
    "undefined",
    "none",
    "string",
    "number",
    "lower",
    "upper",
    "odd",
    "even",
    "divisibleby",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "in",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
)
# Words for refused constructs, so the message says what the lead wrote.
_NODE_WORDS = {
    nodes.For: "'for'",
    nodes.Macro: "'macro'",
    nodes.CallBlock: "'call'",
    nodes.Call: "'call'",
    nodes.FilterBlock: "'filter' blocks",
    nodes.Extends: "'extends'",
    nodes.Include: "'include'",
    nodes.Import: "'import'",
    nodes.FromImport: "'import'",
    nodes.With: "'with'",
    nodes.Assign: "'assign'",
    nodes.AssignBlock: "'assign'",
    nodes.Block: "'block'",
    nodes.Dict: "dictionaries",
    nodes.Pair: "dictionaries",
    nodes.Mod: "the operator '%'",
    nodes.FloorDiv: "the operator '//'",
    nodes.Pow: "the operator '**'",
    nodes.ScopedEvalContextModifier: "'autoescape'",
    nodes.EvalContextModifier: "'autoescape'",
    nodes.Slice: "slices",
    nodes.ExprStmt: "'do'",
    nodes.Break: "'break'",
    nodes.Continue: "'continue'",
}


class TemplateProblem(Exception):
    """The template cannot be used; the message says why, in words a lead can act on."""


class LimitExceeded(SecurityError):
    """Rendering would exceed a size or time limit."""


def _sized(value):
    """Refuse a value too large to print or build on; return it unchanged otherwise."""
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_VALUE_CHARS:
        raise LimitExceeded(f"A value in the template would be longer than {MAX_VALUE_CHARS:,} characters.")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise LimitExceeded("Numbers that large are not allowed in a template.")
    return value


def _check_repeat(left, right) -> None:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and count * max(len(seq), 1) > MAX_REPEAT:
            raise LimitExceeded("Repeating text that many times is not allowed in a template.")


class LetterSandbox(ImmutableSandboxedEnvironment):
    """Immutable sandbox with StrictUndefined, every operator intercepted and checked, and nothing but the
    placeholders it is given."""

    intercepted_binops = frozenset(nodes._binop_to_func)  # never folded at compile time
    intercepted_unops = frozenset({"+", "-"})

    def __init__(self):
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            auto_reload=False,
            cache_size=0,
            finalize=_sized,
        )
        self.globals.clear()
        self.filters = {name: self.filters[name] for name in ALLOWED_FILTERS}
        self.tests = {name: self.tests[name] for name in ALLOWED_TESTS}

    def call_binop(self, context, operator, left, right):
        if operator not in ALLOWED_OPERATORS:
            raise LimitExceeded(f"The operator '{operator}' is not allowed in a template.")
        if operator == "*":
            _check_repeat(left, right)
        if operator == "*" and isinstance(left, (int, float)) and isinstance(right, (int, float)):
            _sized(abs(left * 1.0) * abs(right))
        return _sized(super().call_binop(context, operator, left, right))

    def call_unop(self, context, operator, arg):
        return _sized(super().call_unop(context, operator, arg))


_ENV = LetterSandbox()


def _depth(tree: nodes.Node) -> int:
    """How deeply the template's nodes nest, counted without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node.iter_child_nodes())
    return deepest


def _refusal(node: nodes.Node, names) -> str | None:
    """Why this node is not allowed, or None."""
    if type(node) not in ALLOWED_NODES:
        if isinstance(node, nodes.Getattr):
            return f"Attributes such as '.{node.attr}' are not allowed; use the placeholders as they are."
        if isinstance(node, nodes.Getitem):
            return "Indexing (square brackets) is not allowed; use the placeholders as they are."
        what = _NODE_WORDS.get(type(node), f"'{type(node).__name__.lower()}'")
        return f"Templates may use placeholders and if-blocks only; {what} is not allowed (line {node.lineno})."
    if isinstance(node, nodes.Name) and (node.ctx != "load" or node.name not in names):
        return f"'{node.name}' is not a placeholder. Use one of: {', '.join(names)}."
    if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
        return f"The filter '{node.name}' is not allowed. Use one of: {', '.join(ALLOWED_FILTERS)}."
    if isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
        return f"The test '{node.name}' is not allowed. Use one of: {', '.join(ALLOWED_TESTS)}."
    if isinstance(node, nodes.Operand) and node.op not in ALLOWED_COMPARISONS:
        return f"The comparison '{node.op}' is not allowed."
    if isinstance(node, (nodes.Filter, nodes.Test)) and (node.dyn_args or node.dyn_kwargs):
        return "Argument unpacking (* and **) is not allowed."
    return None


def _parse(source: str) -> nodes.Template:
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateProblem(f"A template part may hold at most {MAX_TEMPLATE_CHARS:,} characters.")
    try:
        return _ENV.parse(source)
    except TemplateError as error:
        raise TemplateProblem(f"The template has a syntax error: {error.message}") from None
    except RecursionError:
        raise TemplateProblem(f"The template nests too deeply (at most {MAX_DEPTH} levels); simplify it.") from None
    except (ValueError, OverflowError) as error:  # e.g. an integer of more than 4,300 digits
        raise TemplateProblem(f"The template has a value that cannot be read: {error}") from None


def _check_syntax(source: str, names: tuple[str, ...]) -> nodes.Template:
    tree = _parse(source)
    if _depth(tree) > MAX_DEPTH:
        raise TemplateProblem(f"The template nests too deeply (at most {MAX_DEPTH} levels); simplify it.")
    for node in tree.find_all(nodes.Node):
        problem = _refusal(node, names)
        if problem:
            raise TemplateProblem(problem)
    return tree


def check_template(source: str, names=None) -> None:
    """Raise TemplateProblem if `source` breaks a rule, without rendering it."""
    _compiled(source, tuple(names or PLACEHOLDERS))


@lru_cache(maxsize=512)
def _compiled(source: str, names: tuple[str, ...]):
    """Checked and compiled once per distinct text and name set; a failure raises and is not cached."""
    tree = _check_syntax(source, names)
    try:
        return _ENV.from_string(tree)
    except TemplateError as error:
        raise TemplateProblem(f"The template has a syntax error: {error.message}") from None
    except (RecursionError, SyntaxError, MemoryError):
        raise TemplateProblem(f"The template nests too deeply (at most {MAX_DEPTH} levels); simplify it.") from None


def placeholders_used(source: str) -> set[str]:
    """The placeholders a (checked) template text refers to."""
    from jinja2 import meta

    return set(meta.find_undeclared_variables(_parse(source)))


def placeholders_not_in(texts, known_texts) -> str | None:
    """The placeholders `texts` use that `known_texts` do not, as "{{ a }}, {{ b }}" (None: none): a translation
    must use only the placeholders of the text it translates."""
    used = set().union(*(placeholders_used(text or "") for text in texts))
    known = set().union(*(placeholders_used(text or "") for text in known_texts))
    missing = sorted(used - known)
    return ", ".join("{{ " + name + " }}" for name in missing) if missing else None


def render(
    source: str,
    context: dict,
    *,
    names=None,
    max_chars: int = MAX_OUTPUT_CHARS,
    max_seconds: float = MAX_RENDER_SECONDS,
) -> str:
    """Render untrusted template text with `context` (only `names`, by default the letter placeholders);
    raise TemplateProblem on any failure or limit."""
    names = tuple(names or PLACEHOLDERS)
    compiled = _compiled(source, names)
    values = {name: context.get(name, "") for name in names}
    started = time.perf_counter()
    parts: list[str] = []
    size = 0
    try:
        for chunk in compiled.generate(values):
            size += len(chunk)
            if size > max_chars:
                raise LimitExceeded(f"The text would be longer than {max_chars:,} characters.")
            if time.perf_counter() - started > max_seconds:
                raise LimitExceeded("The template takes too long to render.")
            parts.append(chunk)
    except LimitExceeded as error:
        raise TemplateProblem(str(error)) from None
    except SecurityError as error:
        raise TemplateProblem(f"The template tries something unsafe: {error}") from None
    except TemplateError as error:
        raise TemplateProblem(f"The template cannot be rendered: {error.message}") from None
    except (ArithmeticError, TypeError, ValueError, RecursionError) as error:
        raise TemplateProblem(f"The template cannot be rendered: {error}") from None
    return "".join(parts)


# A placeholder left open in a stencil: private-use characters, which no text of ours holds.
HOLE = "\ue000{}\ue001"
_HOLE_SPLIT = re.compile("\ue000(\\w+)\ue001")


def printed_as_is(source: str, names=None) -> frozenset[str]:
    """The placeholders a (sound) template only ever prints as they are, `{{ name }}` with no filter, test,
    comparison or operator: for those, filling a stencil's hole (fill) gives the text rendering them in would."""
    _compiled(source, tuple(names or PLACEHOLDERS))
    tree = _parse(source)
    used = Counter(node.name for node in tree.find_all(nodes.Name))
    bare = Counter(
        node.name for output in tree.find_all(nodes.Output) for node in output.nodes if isinstance(node, nodes.Name)
    )
    return frozenset(name for name, count in used.items() if bare[name] == count)


def stencil(source: str, context: dict, *, holes, names=None, max_chars: int = MAX_OUTPUT_CHARS) -> list[str] | None:
    """`source` rendered with the placeholders in `holes` (printed as is) left open: its literal parts at even
    positions, the holes' names at odd ones; None if a hole's marker could be mistaken for text. Raises
    TemplateProblem as render does (the holes play no part in what fails)."""
    values = [value for name, value in context.items() if name not in holes and isinstance(value, str)]
    if "\ue000" in source or any("\ue000" in value for value in values):
        return None
    values = {**context, **hole_values(holes)}
    return split_holes(render(source, values, names=names, max_chars=max_chars))


def hole_values(names) -> dict[str, str]:
    """Each name's hole, to render in a value's place and fill later (`split_holes`, `fill`)."""
    return {name: HOLE.format(name) for name in names}


def split_holes(text: str) -> list[str]:
    """A text rendered with holes (HOLE) as a stencil: literal parts at even positions, holes' names at odd ones."""
    return _HOLE_SPLIT.split(text)


def fill(parts: list[str], values: dict) -> str:
    """A stencil's text with each hole filled from `values` (a mailing fills two a member)."""
    filled = parts.copy()
    for index in range(1, len(filled), 2):
        filled[index] = values[filled[index]]
    return "".join(filled)


@dataclass
class RenderedBlock:
    """One block as the member sees it: its kind, label, text (pre-filled or prompt) and minimum length."""

    position: int
    kind: str
    label: str | None
    text: str
    min_length: int
