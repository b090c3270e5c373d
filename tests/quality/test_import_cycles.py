"""No import cycle between the packages of pipelines/: each stage's library can be read, tested
and changed without the ones that build on it.

A package is a folder of pipelines/ (a namespace folder without `__init__.py` too); a module at
the top of pipelines/ (`settings`, `cli`, ...) is a node of its own. Every import counts, those
inside functions too: a cycle deferred to call time is still a cycle a reader has to hold.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "pipelines"


def _node_of(dotted: str) -> str | None:
    """The node a dotted name belongs to: the folder of the module or package it names, or the
    top-level module itself; None when no prefix of it is part of pipelines/."""
    parts = dotted.split(".")
    while parts and parts[0] == PACKAGE:
        path = ROOT.joinpath(*parts)
        if path.is_dir():
            return ".".join(parts)
        if path.with_suffix(".py").is_file():
            return ".".join(parts) if len(parts) == 2 else ".".join(parts[:-1])
        parts = parts[:-1]
    return None


def _source_node(path: Path) -> tuple[str, list[str]]:
    """A file's node and its own dotted package (for relative imports)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    package = parts[:-1]
    if parts[-1] == "__init__":
        return ".".join(package), package
    if len(parts) == 2:
        return ".".join(parts), package
    return ".".join(package), package


def _imported_names(tree: ast.AST, package: list[str]) -> list[tuple[str, int]]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.append((module, node.lineno))
            names += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]
    return names


def package_graph() -> dict[str, dict[str, str]]:
    """node -> {imported node: 'file:line' of the first such import}."""
    graph: dict[str, dict[str, str]] = defaultdict(dict)
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        source, package = _source_node(path)
        graph.setdefault(source, {})
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, line in _imported_names(tree, package):
            target = _node_of(name)
            if target and target != source:
                graph[source].setdefault(target, f"{path.relative_to(ROOT)}:{line}")
    return dict(graph)


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_packages_and_their_imports():
    graph = package_graph()
    expected = {"pipelines.quality", "pipelines.release", "pipelines.privacy", "pipelines.settings"}
    assert expected <= graph.keys()
    assert "pipelines.quality" in graph["pipelines.release"]
    assert "pipelines.release" in graph["pipelines.defs.release"]


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b": "a.py:1"}, "b": {"c": "b.py:1"}, "c": {"a": "c.py:1"}, "d": {"a": "d.py:1"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle_between_packages():
    graph = package_graph()
    problems = [
        " -> ".join(component)
        + ": "
        + "; ".join(
            f"{source} imports {target} at {where}"
            for source in component
            for target, where in graph[source].items()
            if target in component
        )
        for component in cycles(graph)
    ]
    assert not problems, "import cycles between packages of pipelines/:\n" + "\n".join(problems)


def test_benchmarks_and_pipelines_import_nothing_from_tests():
    """Benchmarks and the pipeline stand on pipelines/ alone: the tests are not shipped code."""
    found = []
    for folder in ("benchmarks", PACKAGE):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found += [
                f"{path.relative_to(ROOT)}:{line}"
                for name, line in _imported_names(tree, [])
                if name == "tests" or name.startswith("tests.")
            ]
    assert not found, f"imports from tests/: {found}"
