"""The package's layers by their imports: the engine imports nothing above it, and no two
engine modules import each other, even inside a function (a circle). And importing any
module changes nothing in the process: ``playground.server.install()`` does that."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
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
    """Nothing of the state, the UI, the server set-up or the tools: the engine stands
    alone (the package's top level, which imports nothing at import, aside)."""
    for m, deps in graph("playground.").items():
        if m.startswith("playground.engine."):
            above = {d for d in deps if not d.startswith("playground.engine")
                     and d != "playground"}
            assert not above, (m, above)


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


PROCESS_STATE = """
import gc, json, logging, os, sys
import jax
def state():
    out = {"jax_cache": jax.config.jax_compilation_cache_dir,
           "jax_platforms": jax.config.jax_platforms,
           "switch_interval": sys.getswitchinterval(), "frozen": gc.get_freeze_count(),
           "xla_flags": os.environ.get("XLA_FLAGS"),
           "log_handlers": len(logging.getLogger("playground").handlers),
           "log_filters": sum(len(logging.getLogger(n).filters)
                              for n in ("asyncio", "bokeh.server.views.ws", "panel.io.document")),
           "cache_dir_made": os.path.exists(os.environ["PLAYGROUND_CACHE_DIR"]),
           "threads": sorted(t.name for t in __import__("threading").enumerate())}
    if "bokeh.protocol.messages.patch_doc" in sys.modules:
        from bokeh.protocol.messages.patch_doc import patch_doc
        from panel.io import document
        out["bokeh_patch_doc"] = patch_doc.__dict__["create"].__func__.__module__
        out["panel_dispatch"] = document.dispatch_tornado.__module__
    return out
"""


def process_state_after(modules: list[str], tmp_path) -> tuple[dict, dict, list]:
    """In a fresh interpreter: the process's state before and after importing ``modules``,
    and which of param, Panel and Bokeh were imported."""
    code = PROCESS_STATE + (
        f"before = state()\nimport importlib\nfor m in {modules!r}: importlib.import_module(m)\n"
        "after = state()\n"
        "print(json.dumps([before, after, [m for m in ('param', 'panel', 'bokeh') "
        "if m in sys.modules]]))")
    env = {**os.environ, "PLAYGROUND_CACHE_DIR": str(tmp_path / "cache-should-not-appear")}
    env.pop("XLA_FLAGS", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return tuple(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_package_and_the_engine_sets_nothing_up(tmp_path):
    """``import playground`` and every engine module: no JAX option, no folder, no
    interpreter or garbage-collector setting, no log handler or filter, no thread, and
    neither param, Panel nor Bokeh imported."""
    engine = sorted(module_name(p) for p in (PACKAGE / "engine").rglob("*.py"))
    before, after, imported = process_state_after(["playground"] + engine, tmp_path)
    assert len(engine) > 15
    assert after == before
    assert imported == []


def test_importing_every_module_sets_nothing_up(tmp_path):
    """The state, the UI, export, the server package and the tools too: importing them
    installs no frame-message path (Bokeh's and Panel's own stay), no log handler, and
    sets nothing else; only ``server.install()`` does (checked last)."""
    every = sorted(module_name(p) for p in PACKAGE.rglob("*.py"))
    before, after, imported = process_state_after(every, tmp_path)
    assert {"playground.server.wire", "playground.ui.app", "playground.tools.bench"} <= set(every)
    assert after["bokeh_patch_doc"].startswith("bokeh.") and after["panel_dispatch"] == \
        "panel.io.document"
    after = {k: v for k, v in after.items() if k not in ("bokeh_patch_doc", "panel_dispatch")}
    assert after == before
    assert imported == ["param", "panel", "bokeh"]
    code_installs = PROCESS_STATE + (
        "from playground import server\nserver.install()\nprint(json.dumps(state()))")
    out = subprocess.run([sys.executable, "-c", code_installs], capture_output=True, text=True,
                         timeout=300, cwd=ROOT, env={**os.environ, "PLAYGROUND_CACHE_DIR":
                                                     str(tmp_path / "cache")})
    assert out.returncode == 0, out.stderr
    state = json.loads(out.stdout.strip().splitlines()[-1])
    assert state["switch_interval"] < before["switch_interval"]
    assert state["log_handlers"] == 1 and state["log_filters"] >= 3
    assert state["cache_dir_made"] and state["jax_cache"]
    if os.environ.get("PLAYGROUND_WIRE", "fast") == "fast":
        assert state["bokeh_patch_doc"] == "playground.server.wire"
