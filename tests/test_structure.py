"""House structure checked from the source: no module-level import cycle, citations a reader can open.

Import graph (read with ``ast``, nothing imported): an edge ``a -> b`` is an
import statement executed when ``a`` is imported: at module level, inside
``try``/``with``/``if`` blocks (but not under ``if TYPE_CHECKING:``), not
inside functions or classes. ``from P import x``
is an edge to the module ``P.x`` when that is a module of the package, else
to ``P``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_files(package_dir: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package ``__init__``) for every ``.py`` file under ``package_dir``."""
    mods = {}
    for f in sorted(package_dir.rglob("*.py")):
        parts = list(f.relative_to(package_dir.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        mods[".".join(parts[:-1] if is_pkg else parts)] = (f, is_pkg)
    return mods


def _executed_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            test = node.test
            type_checking = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
            if not type_checking:
                yield from _executed_imports(node.body)
            yield from _executed_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _executed_imports(block)
        elif isinstance(node, (ast.With, ast.For, ast.While)):
            yield from _executed_imports(node.body)


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module -> the package modules it imports at module level."""
    mods = module_files(package_dir)
    graph: dict[str, set[str]] = {}
    for name, (f, is_pkg) in mods.items():
        pkg = name if is_pkg else name.rpartition(".")[0]
        edges = set()
        for node in _executed_imports(ast.parse(f.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in mods}
                continue
            if node.level:
                base = pkg.split(".")[:len(pkg.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for a in node.names:
                if f"{source}.{a.name}" in mods:
                    edges.add(f"{source}.{a.name}")
                elif source in mods:
                    edges.add(source)
        graph[name] = edges - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_module_level_import_cycle_in_the_package():
    graph = import_graph(ROOT / "derand_fast")
    assert len(graph) > 40 and "derand_fast.cli" in graph
    assert "derand_fast.reproduce.command" in graph["derand_fast.cli"]  # the command registry is seen
    assert cycles(graph) == []


def test_the_checker_finds_a_planted_cycle(tmp_path: Path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("try:\n    from ..c import f\nexcept ImportError:\n    pass\n")
    (pkg / "c.py").write_text("import pkg.a\n\n\ndef f():\n    from . import d\n")  # a function-level import
    (pkg / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg.sub.b"} and graph["pkg.sub.b"] == {"pkg.c"} and graph["pkg.c"] == {"pkg.a"}
    assert graph["pkg.d"] == set()
    assert cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]


#: references a reader of the repository cannot open (the project's issue tracker, its internal spec)
_UNREADABLE = re.compile(r"(?i:\bissue\s*#\d+)|\bSPEC\b")


def test_sources_cite_the_paper_not_issues():
    files = [*(ROOT / "derand_fast").rglob("*.py"), *(ROOT / "derand_fast").rglob("*.pyi"),
             *(ROOT / "cpp").glob("*.[ch]pp")]
    assert len(files) > 40
    hits = [f"{f.relative_to(ROOT)}:{n}: {line.strip()}" for f in files
            for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if _UNREADABLE.search(line)]
    assert hits == []
    assert _UNREADABLE.search("see issue #5") and _UNREADABLE.search("(SPEC step 2)")
    assert not _UNREADABLE.search("permc_spec=...; timespec; the paper's Eq. 5")
