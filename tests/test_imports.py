"""The package's layers by their imports: the engine imports nothing above it, and no two
engine modules import each other, even inside a function (a circle)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "playground"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The package's modules that ``path`` imports anywhere in it (top level or inside a
    function), as dotted names."""
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]                      # the module's package
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {m for m in found if m in modules}


def graph(prefix: str) -> dict[str, set[str]]:
    mods = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {m: {i for i in imports(p) if i.startswith(prefix) and i != m}
            for m, p in mods.items() if m.startswith(prefix)}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(m, path):
        state[m] = "open"
        for n in sorted(g.get(m, ())):
            if state.get(n) == "open":
                found.append(path[path.index(n):] + [n])
            elif n not in state:
                visit(n, path + [n])
        state[m] = "done"
    for m in sorted(g):
        if m not in state:
            visit(m, [m])
    return found


def test_no_engine_module_imports_another_that_imports_it():
    g = graph("playground.engine.")
    assert "playground.engine.digits" in g and g["playground.engine.conv"] is not None
    assert not cycles(g), cycles(g)


def test_the_engine_imports_nothing_above_it():
    """Nothing of the state or the UI; of the package's top level only the JAX
    configuration's helpers (plain JAX)."""
    for m, deps in graph("playground.").items():
        if m.startswith("playground.engine."):
            above = {d for d in deps if not d.startswith("playground.engine")
                     and d not in ("playground", "playground.jaxconfig")}
            assert not above, (m, above)


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
