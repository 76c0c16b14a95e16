"""Facts anyone can check from the import graph: no cycle, a small matcher root, contracts kept."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[3]


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), type-checking imports included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(module: str) -> None:
        nonlocal counter
        index[module] = low[module] = counter
        counter += 1
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_anywhere() -> None:
    graph = grimp.build_graph("matcher", "api", "indices", exclude_type_checking_imports=False)
    assert _cycles(graph) == []


def test_a_cycle_would_be_seen() -> None:
    """The detector itself: a graph with a two-module loop reports it."""
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycles(graph) == [["a.x", "a.y"]]


def test_matcher_root_holds_only_the_assembly() -> None:
    modules = sorted(p.name for p in (ROOT / "matcher").glob("*.py"))
    assert modules == ["__init__.py", "runtime.py"]


def test_every_matcher_package_says_what_it_owns_and_may_import() -> None:
    for init in (ROOT / "matcher").glob("*/__init__.py"):
        text = init.read_text(encoding="utf-8")
        if init.parent.name == "store":
            continue
        assert text.startswith('"""') and "May import" in text, init


def test_import_contracts_are_kept() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_the_cli_names_every_task() -> None:
    from matcher.cli.jobs import TASKS
    from matcher.jobs.tasks import JOBS

    assert {f"matcher.{name}" for name in TASKS} == set(JOBS)


def _store_sessions(source: str) -> list[int]:
    """Lines where code opens a store session itself: a chain ending ``.store.read`` or ``.store.transaction``."""
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute)
        and node.attr in ("read", "transaction")
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "store"
    )


def test_routes_and_pages_open_no_store_session() -> None:
    """Handlers parse, call one use case and shape the reply: the use case owns the unit of work (issue 12)."""
    modules = sorted((ROOT / "api" / "routers").rglob("*.py")) + sorted((ROOT / "api" / "pages").rglob("*.py"))
    assert len(modules) > 10
    opened = {str(m.relative_to(ROOT)): lines for m in modules if (lines := _store_sessions(m.read_text("utf-8")))}
    assert opened == {}


def test_a_store_session_in_a_handler_would_be_seen() -> None:
    source = (
        "def page(request, rt):\n"
        "    with rt.store.read() as session:\n"
        "        pass\n"
        "    with request.app.state.runtime.store.transaction() as session:\n"
        "        pass\n"
        "    rt.settings.read()\n"
        "    return rt.store\n"
    )
    assert _store_sessions(source) == [2, 4]
