"""The house's size rules, checked on every run: short functions, short docstrings, short comments.

A function reads as the steps of what it does: at most 50 lines (its docstring aside) and 15 branches. A docstring
says what and why in at most 60 words (longer reasons go to docs/design-notes.md); a comment is at most 100
characters.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

CRM = Path(__file__).resolve().parents[1] / "crm"
MAX_LINES, MAX_BRANCHES, MAX_DOC_WORDS, MAX_COMMENT = 50, 15, 60, 100
BRANCHES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler, ast.IfExp, ast.comprehension)


def _sources():
    for path in sorted(CRM.rglob("*.py")):
        yield path.relative_to(CRM.parent).as_posix(), path.read_text(encoding="utf-8")


def _has_docstring(node) -> bool:
    first = node.body[0]
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)


def function_sizes(source: str) -> list[tuple[str, int, int]]:
    """(name, lines without the docstring, branches) of every function in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = node.body[0].end_lineno + 1 if _has_docstring(node) else node.lineno
            branches = sum(isinstance(n, BRANCHES) for n in ast.walk(node))
            branches += sum(len(n.values) - 1 for n in ast.walk(node) if isinstance(n, ast.BoolOp))
            found.append((node.name, node.end_lineno - start + 1, branches))
    return found


def test_no_function_is_over_50_lines_or_15_branches():
    long = [
        f"{path}:{name} ({lines} lines, {branches} branches)"
        for path, source in _sources()
        for name, lines, branches in function_sizes(source)
        if lines > MAX_LINES or branches > MAX_BRANCHES
    ]
    assert long == [], "split these into named steps"


def test_no_docstring_runs_past_60_words():
    long = []
    for path, source in _sources():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                if doc and len(doc.split()) > MAX_DOC_WORDS:
                    long.append(f"{path}:{getattr(node, 'name', '<module>')} ({len(doc.split())} words)")
    assert long == [], "say what and why in a line or three; move the reasons to docs/design-notes.md"


def test_no_comment_is_over_100_characters():
    long = [
        f"{path}:{token.start[0]}"
        for path, source in _sources()
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT and len(token.string) > MAX_COMMENT
    ]
    assert long == []


def test_the_size_check_catches_a_long_function():
    body = "\n".join(f"    x = {n}" for n in range(51))
    branches = "\n".join(f"    if x == {n}:\n        x += 1" for n in range(16))
    sizes = function_sizes(f"def long():\n{body}\n\ndef branchy(x):\n{branches}\n")
    assert sizes == [("long", 52, 0), ("branchy", 33, 16)]  # the def line counts
