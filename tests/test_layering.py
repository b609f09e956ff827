"""The import graph of ``src/tunesmith`` keeps its layers: every import points down.

Imports are read with ``ast`` from every module, type-only ones (under ``TYPE_CHECKING``) and
those inside functions included: a type-only edge is a design dependency too. The layers, from
the bottom (README, "Development"):

    _errors, _checks, _version < distributions < space < records
    < storages, models < samplers, pruners < _heartbeat, _table
    < study, trial, _optimize (the live trio) < _functional, _demo, cli, sklearn, tunesmith

A module may import a lower layer, or modules of its own group (a package, or the live trio).
Models import nothing of ours but the base layer, and the only circle is the live trio.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import tunesmith

ROOT = Path(tunesmith.__file__).parent

#: Group -> (rank, the groups below it that it may import; ``None``: any lower rank).
LAYERS: dict[str, tuple[int, frozenset[str] | None]] = {
    "_errors": (0, None),
    "_checks": (0, None),
    "_version": (0, None),
    "distributions": (1, None),
    "space": (2, None),
    "records": (3, None),
    "storages": (4, None),
    "models": (4, frozenset({"_errors", "_checks"})),
    "samplers": (5, None),
    "pruners": (5, None),
    "_heartbeat": (6, None),
    "_table": (6, None),
    "live": (7, None),  # study, trial, _optimize
    "_functional": (8, None),
    "_demo": (8, None),
    "cli": (9, None),
    "sklearn": (9, None),
    "tunesmith": (10, None),  # the package's __init__: the public API
    "__main__": (11, None),  # python -m tunesmith
}
LIVE = frozenset({"tunesmith.study", "tunesmith.trial", "tunesmith._optimize"})


def module_name(path: Path) -> str:
    parts = ["tunesmith", *path.relative_to(ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    module_name(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts
}


def group_of(module: str) -> str:
    if module in LIVE:
        return "live"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "tunesmith"


def imports_of(module: str) -> Iterator[tuple[str, int]]:
    """Every tunesmith module ``module`` imports, with the line of the import."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tunesmith":
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "tunesmith":
                continue
            for alias in node.names:  # ``from . import _sql`` imports a module
                sub = f"{target}.{alias.name}"
                yield (sub if sub in MODULES else target), node.lineno


GRAPH = {m: sorted({t for t, _ in imports_of(m) if t != m}) for m in MODULES}


def test_every_import_resolves_to_a_module() -> None:
    unknown = {(m, t) for m, targets in GRAPH.items() for t in targets if t not in MODULES}
    assert unknown == set()


def test_the_graph_sees_type_only_imports() -> None:
    # trial.py imports Study only for its annotations: the edge must be in the graph.
    assert "tunesmith.study" in GRAPH["tunesmith.trial"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module: str) -> None:
    group = group_of(module)
    rank, allowed = LAYERS[group]
    wrong = []
    for target, line in imports_of(module):
        other = group_of(target)
        if other == group:
            continue
        other_rank = LAYERS[other][0]
        if other_rank >= rank or (allowed is not None and other not in allowed):
            wrong.append(f"line {line}: {target} ({other}, layer {other_rank})")
    assert wrong == [], f"{module} ({group}, layer {rank}) imports upward or across: {wrong}"


def test_lower_layers_never_import_the_live_objects() -> None:
    # The rule stated in the issue, checked by name as well as by rank.
    forbidden = {"tunesmith.study", "tunesmith.trial", "tunesmith._optimize"}
    for module, targets in GRAPH.items():
        if group_of(module) in {"records", "space", "distributions", "storages", "models"} | {
            "samplers",
            "pruners",
        }:
            assert forbidden.isdisjoint(targets), module
        if group_of(module) in {"storages", "models"}:
            assert not any(
                t.startswith(("tunesmith.samplers", "tunesmith.pruners")) for t in targets
            )


def strongly_connected(graph: dict[str, list[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    for root, root_edges in graph.items():
        if root in index:
            continue
        work = [(root, iter(root_edges))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    out.append(component)
    return out


def test_the_only_circle_is_the_live_trio() -> None:
    circles = [c for c in strongly_connected(GRAPH) if len(c) > 1]
    assert all(c <= LIVE for c in circles), circles


def test_tarjan_finds_a_circle() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": []}
    assert sorted(map(sorted, strongly_connected(graph))) == [["a", "b", "c"], ["d"]]
