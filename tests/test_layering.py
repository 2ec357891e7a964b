"""The package's imports: no module imports itself back (directly or round a circle), and imports run down the
layers of docs/architecture.md, never up. Imports inside functions count too: a lazy import is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

CRM = Path(__file__).resolve().parents[1] / "crm"

# Top to bottom. A module may import from its own package, from any lower layer, or along ALSO.
LAYERS: list[set[str]] = [
    {"<app>"},  # the factory: registers every blueprint, command and model
    {"models", "cli"},  # every model for Alembic; the commands
    {"api", "dashboards", "home", "search", "ops"},  # read everything below; home page; search; operations
    {"mailings", "replies"},  # ask members to act on a campaign; ask them what became of their letters
    {"campaigns"},  # letters
    {"interactions", "proposals", "programs"},
    {"members"},
    {"legislatures"},  # Represent: representatives of any legislature, kept in the directory
    {"stakeholders"},
    {"auth"},
    {"reference", "outbox", "audit", "backup"},  # generic: they know no domain above them
    # helpers that know no domain; they may use each other
    {"lib", "config", "extensions"},
]
SHARED = LAYERS[-1]
# Same-layer imports that the design allows: an interaction records the proposal version it discussed.
ALSO = {("interactions", "proposals")}


def _modules() -> dict[str, Path]:
    found = {}
    for path in CRM.rglob("*.py"):
        parts = path.relative_to(CRM.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _resolve(node: ast.ImportFrom, module: str, path: Path) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imported(node: ast.AST, module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The crm modules an import statement loads: `from pkg import submodule` loads the submodule."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = _resolve(node, module, path)
        subs = [f"{base}.{alias.name}" for alias in node.names]
        names = [name for name in subs if name in modules]
        if len(names) < len(subs):
            names.append(base)
    else:
        return set()
    found = set()
    for name in names:
        while name and name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in modules and name != module:
            found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            graph[name] |= _imported(node, name, path, modules)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<app>"


def layer_of(package: str) -> int:
    for number, layer in enumerate(LAYERS):
        if package in layer:
            return number
    raise AssertionError(f"crm/{package} is in no layer: add it to LAYERS in {__file__} and docs/architecture.md")


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, targets in sorted(graph.items()):
        source = package_of(module)
        for target in sorted(targets):
            to = package_of(target)
            if to == source or (source, to) in ALSO or (source in SHARED and to in SHARED):
                continue
            if layer_of(to) <= layer_of(source):
                wrong.append(f"{module} -> {target}")
    return wrong


def test_no_module_imports_itself_back_round_a_circle():
    assert circles(import_graph()) == []


def test_imports_run_down_the_layers():
    assert upward_imports(import_graph()) == []


def test_every_package_has_a_layer():
    for module in import_graph():
        layer_of(package_of(module))


def test_the_check_finds_a_circle_and_an_upward_import():
    """The checks themselves can fail: a made-up graph with both faults is caught."""
    graph = {
        "crm.outbox.a": {"crm.outbox.b"},
        "crm.outbox.b": {"crm.outbox.a", "crm.campaigns.x"},
        "crm.campaigns.x": set(),
    }
    assert circles(graph) == [["crm.outbox.a", "crm.outbox.b"]]
    assert upward_imports(graph) == ["crm.outbox.b -> crm.campaigns.x"]
