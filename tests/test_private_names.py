"""No module reads another's underscore names.

Every ``x._name`` (and ``getattr(x, "_name")``) in the package where ``x`` is not ``self``,
``cls`` or ``super()`` is either a namedtuple's own API or listed below, with why: the
library internals that the guarded fast paths use (each checked by ``supported()`` and
with a plain fallback tested in CI) and a developer tool's use of Bokeh's client."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAMEDTUPLE = {"_replace", "_asdict", "_fields", "_make", "_field_defaults"}
ALLOWED = {
    # the frame messages' fast path: Bokeh's and Panel's internals, all probed by
    # wire.supported() (wire.PRIVATE_NAMES), with Bokeh's own path as the fallback
    "playground/server/wire.py": {"_MAX_SAFE_INT", "_property_values", "_socket", "_buffers",
                              "_message_bytes_out", "_wire_bytes_out", "_compressor",
                              "_new_models", "_callbacks", "_encode_float", "_encode_bytes",
                              "_models", "_may_have_unstable_default",
                              "_unstable_default_values"},
    # LiveHTML: param's per-instance values, looked up with getattr, else the public way
    "playground/ui/frames.py": {"_param__private"},
    # a closed tab: Bokeh's session behind the session context, looked up with getattr
    # (None: the page keeps drawing until the server drops the session)
    "playground/ui/app.py": {"_session"},
    # a choice's change handled at once: Panel's hold (_debounce), set only where its
    # Syncable._server_change reads it (prompt.available), plain Panel with
    # PLAYGROUND_WIRE=bokeh (tests/ui/test_prompt.py)
    "playground/ui/prompt.py": {"_server_change", "_debounce"},
    # Panel's stylesheets from this server: the document's template variables
    "playground/server/__init__.py": {"_template_variables"},
    # the load test is a developer tool that drives sessions with Bokeh's client
    "playground/tools/loadtest.py": {"_connection", "_send_patch_document", "_pop_message",
                               "_content_json"},
    "playground/tools/loadtest_class.py": {"_connection", "_send_patch_document"},
}


def private_reads(path: Path) -> list[tuple[int, str]]:
    """(line, name) of each underscore name read on something other than self/cls/super()."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            target, name = node.value, node.attr
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            target, name = node.args[0], node.args[1].value
        else:
            continue
        if not name.startswith("_") or name.startswith("__") or name in NAMEDTUPLE:
            continue
        if isinstance(target, ast.Name) and target.id in ("self", "cls"):
            continue
        if (isinstance(target, ast.Call) and isinstance(target.func, ast.Name)
                and target.func.id == "super"):
            continue
        found.append((node.lineno, name))
    return found


def test_no_module_reads_another_modules_underscore_names():
    files = sorted((ROOT / "playground").rglob("*.py")) + [ROOT / "app.py"]
    wrong = [f"{p.relative_to(ROOT).as_posix()}:{line}: {name}"
             for p in files for line, name in private_reads(p)
             if name not in ALLOWED.get(p.relative_to(ROOT).as_posix(), set())]
    assert not wrong, "underscore names read from outside their module:\n" + "\n".join(wrong)


def test_the_check_finds_what_it_looks_for(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import x\nx._hidden\ngetattr(x, '_other')\nself._mine\nsuper()._up()\n"
                 "t._replace(a=1)\n")
    assert private_reads(f) == [(2, "_hidden"), (3, "_other")]
