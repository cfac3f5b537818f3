"""The standalone script of a run: standalone.py's text with the run's set-up block, a
block of plain values only; the script compiles, names nothing undefined, and replays the
run's training to the page's numbers."""
import ast
import builtins
import io
import json
import os
import re
import subprocess
import symtable
import sys

import numpy as np
import pytest

from playground import Run, export
from playground.export import standalone

from .common import XOR_ADAM, exact_params, exact_run, in_process, per_layer, same_tree

SETUPS = {                  # runs whose scripts are read (not trained) by the checks below
    "default": dict(),
    "xor-adam-l2": XOR_ADAM,
    "two-activations": dict(dataset="circle", hidden=[5, 4], activations=["relu", "sine"],
                            schedule="sgdr", schedule_epochs=3),
    "sine-1d-linear": dict(dataset="sine", hidden=[], features=["x1", "sin_x1"],
                           regularization="l1", reg_rate=0.01, schedule="one_cycle"),
}


def setup_run(name):
    kw = dict(SETUPS[name])
    if "activations" in kw and "activations" not in Run.param:
        kw["activation"] = kw.pop("activations")[0]
    return Run(**kw)


# ------------------------------------------------------------- the block's checks
def _np_name(node, names) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr in names
            and isinstance(node.value, ast.Name) and node.value.id == "np")


def plain_value(node) -> bool:
    """Is this expression a plain value: a number, text, True/False/None, a list, tuple or
    dict of plain values, or np.array/np.zeros(plain value, np.float32)?"""
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float, str, bool, type(None))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = node.operand
        return isinstance(operand, ast.Constant) and type(operand.value) in (int, float)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(map(plain_value, node.elts))
    if isinstance(node, ast.Dict):
        return None not in node.keys and all(map(plain_value, node.keys + node.values))
    if isinstance(node, ast.Call):
        return (_np_name(node.func, ("array", "zeros")) and not node.keywords
                and len(node.args) == 2 and plain_value(node.args[0])
                and _np_name(node.args[1], ("float32",)))
    return False


def not_plain(block: str) -> list[str]:
    """The statements of a set-up block that are not ``NAME = plain value``."""
    wrong = []
    for stmt in ast.parse(block).body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name) and plain_value(stmt.value)):
            wrong.append(f"line {stmt.lineno}: {ast.unparse(stmt)[:60]}")
    return wrong


def undefined_names(code: str) -> set[str]:
    """Names the code reads that nothing in it defines and that are not builtins."""
    top = symtable.symtable(code, "script.py", "exec")
    defined = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    defined |= set(dir(builtins))
    missing = set()

    def visit(table):
        for s in table.get_symbols():
            if s.is_referenced() and (table is top or s.is_global()) \
                    and s.get_name() not in defined:
                missing.add(s.get_name())
        for child in table.get_children():
            visit(child)
    visit(top)
    return missing


def test_the_checks_find_what_they_look_for():
    assert not not_plain('A = 1\nB = -2.5\nC = "x"\nD = [1, (2, None)]\nE = {"a": True}\n'
                         'F = np.array([[1, -2]], np.float32)\n'
                         'G = np.zeros((0, 2), np.float32)')
    for bad in ["A = f()", "A = np.array(B, np.float32)", "A = [1, g(2)]", "A = 1 + 2",
                "A = np.ones(3, np.float32)", "A = np.array([1], dtype=np.float32)",
                "import os", "def f():\n    pass", "A = B = 1", "A.b = 1", "print(1)",
                "A = {**B}", "A = lambda: 1", "A = b'x'"]:
        assert not_plain(bad), bad
    assert undefined_names("import sys\nA = 1\n\ndef f(x):\n    return [x + A + y for y in "
                           "range(3)] + list(sys.argv)\n") == set()
    assert undefined_names("def f(x):\n    return g(x) + B\n") == {"g", "B"}
    assert undefined_names("A = [C for _ in range(2)]\nprint(D)") == {"C", "D"}


# ------------------------------------------------------------------- the script
@pytest.mark.parametrize("name", list(SETUPS))
def test_the_script_is_the_template_with_the_runs_setup_block(name):
    run = setup_run(name)
    before, block, after = export.template_parts()
    assert before + block + after == open(standalone.__file__, encoding="utf-8").read()
    code = export.python_script(run)
    assert code == before + export.setup_block(run) + after
    assert code.startswith(before) and code.endswith(after)
    written = code[len(before):len(code) - len(after)]
    assert written.startswith(export.SETUP_BEGIN + "\n")
    assert written.endswith(export.SETUP_END + "\n")
    assert code.count(export.SETUP_BEGIN) == code.count(export.SETUP_END) == 1
    assert "{{" not in code
    assert export.script_filename(run) in written                 # how to run it


@pytest.mark.parametrize("name", list(SETUPS))
def test_the_setup_block_holds_plain_values_only(name):
    before, block, after = export.template_parts()
    assert not not_plain(block)                                   # the example's too
    assert not not_plain(export.setup_block(setup_run(name)))


@pytest.mark.parametrize("name", list(SETUPS))
def test_the_script_compiles_and_names_nothing_undefined(name):
    code = export.python_script(setup_run(name))
    compile(code, "exported.py", "exec")
    assert undefined_names(code) == set()


def test_the_script_says_what_network_what_data_and_how_to_run_it():
    run = exact_run(**XOR_ADAM, hidden=[5, 4])
    run.train(3)
    code = export.python_script(run, filename="mine.py")
    flat = re.sub(r"\n#\s+", " ", code)                           # comments unwrapped
    for words in ["Data:      xor (two classes, labels +1 / -1), 500 points",
                  "Inputs:    x1, x2, x1x2", "Network:   2 hidden layers of 5 and 4 neurons",
                  "Training:  Adam, learning rate 0.03", "L2 regularisation, rate 0.003",
                  "python mine.py ", "trains EPOCHS = 3 epochs", "pip install numpy jax optax",
                  "The last line it prints is the result as JSON"]:
        assert words in flat, words


def test_a_name_the_script_does_not_know_is_refused(monkeypatch):
    run = Run(hidden=[3], activation="gelu")
    monkeypatch.delitem(standalone.ACTIVATION_FUNCTIONS, "gelu")
    with pytest.raises(ValueError, match="^script: the standalone script has no activation"):
        export.python_script(run)


def test_float_text_gives_back_every_float32():
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.standard_normal(2000).astype(np.float32) * 10.0 **
                             rng.integers(-40, 38, 2000),
                             np.array([0.0, -0.0, 1.0, -1.0, 1e-45, 3.4e38], np.float32)])
    for v in values.astype(np.float32):
        assert np.float32(float(export.float_text(v))).tobytes() == v.tobytes()


# ---------------------------------------------------------- it replays the run
def _run_script(path):
    """Start the script where `playground` cannot be imported at all."""
    guard = ("import runpy, sys; sys.modules['playground'] = None; "
             f"runpy.run_path({str(path)!r}, run_name='__main__')")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.Popen([sys.executable, "-c", guard], cwd=path.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_exported_scripts_train_to_the_same_losses(tmp_path):
    setups = [(dict(), 30), (XOR_ADAM, 20)]
    runs, procs = [], []
    for i, (kw, epochs) in enumerate(setups):
        run = exact_run(**kw)
        run.train(epochs)
        code = export.python_script(run)
        imports = re.findall(r"^(?:import|from) (\w+)", code, re.MULTILINE)
        assert set(imports) == {"json", "sys", "jax", "numpy", "optax"}
        path = tmp_path / f"script{i}.py"
        path.write_text(code)
        runs.append(run)
        procs.append(_run_script(path))
    for run, proc in zip(runs, procs):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        result = json.loads(out.strip().splitlines()[-1])
        m = run.metrics()
        assert result["epochs"] == m["epoch"]
        for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            assert result[key] == pytest.approx(m[key], abs=1e-5), key


@pytest.mark.parametrize("kw,epochs", [
    (dict(dataset="spiral", loss="cross_entropy", optimizer="rmsprop", regularization="l1",
          reg_rate=0.001, activation="relu", hidden=[8, 8],
          features=["x1", "x2", "sin_x1", "sin_x2"]), 12),
    (dict(dataset="sine", optimizer="momentum", activation="gelu", hidden=[6],
          features=["sin_x1", "x1"], noise=10.0, learning_rate=0.01), 10),
    (dict(dataset="moons", activation="leaky_relu", hidden=[], n_samples=77, seed=123,
          batch_size=64, train_ratio=0.3), 15),
    (dict(dataset="xor", optimizer="adam", schedule="sgdr", schedule_epochs=3, cycle_mult=2,
          learning_rate=0.1, batch_size=7), 14),
    (dict(dataset="circle", schedule="one_cycle", schedule_epochs=10, learning_rate=0.3), 12),
    (dict(dataset="gauss", schedule="step", schedule_epochs=4, step_factor=0.3,
          optimizer="momentum", n_samples=90), 10),
], ids=["spiral-bce-rmsprop-l1", "sine-momentum-gelu", "moons-linear-partial-batch",
        "xor-adam-sgdr", "circle-one-cycle", "gauss-step-decay"])
def test_exported_script_covers_losses_optimizers_and_partial_batches(kw, epochs):
    run = exact_run(**kw)
    m = run.train(epochs)
    code = export.python_script(run)
    if kw.get("schedule"):
        assert f'SCHEDULE = "{kw["schedule"]}"' in code and "def schedule_lr(" in code
    result = in_process(code, epochs)
    for key in m:
        if key != "epoch":
            assert result[key] == pytest.approx(m[key], abs=1e-6), key


@per_layer
def test_per_layer_activations_travel_through_every_export():
    run = exact_run(dataset="circle", hidden=[5, 4], activations=["relu", "sine"],
                    optimizer="momentum")
    m = run.train(8)
    text = export.settings_to_json(run)
    assert export.settings_from_json(text)["activations"] == ["relu", "sine"]

    data = export.weights_npz(run)
    assert list(np.load(io.BytesIO(data))["activations"]) == ["relu", "sine"]
    other = exact_run(**run.settings())
    export.load_weights_npz(data, other)
    assert same_tree(exact_params(other), exact_params(run))
    with pytest.raises(ValueError, match="^activation:"):
        export.load_weights_npz(data, Run(hidden=[5, 4]))      # tanh, tanh

    code = export.python_script(run)
    assert 'LAYER_ACTIVATIONS = ["relu", "sine"]' in code
    result = in_process(code, 8)
    for key in m:
        if key != "epoch":
            assert result[key] == pytest.approx(m[key], abs=1e-6), key


def test_script_with_no_test_points_trains_and_without_points_is_refused(capsys, monkeypatch):
    run = Run()
    run.clear_points()
    with pytest.raises(ValueError, match="no training points"):
        export.python_script(run)
    run.add_point(1.0, 1.0, 1.0)
    run.add_point(-1.0, 1.0, -1.0)
    run.dataset = run.dataset                 # (still own data)
    run.use_own_data([[1.0, 1.0]], [1.0], True)   # one point: no test set
    run.train(3)
    ns = {"__name__": "exported"}
    exec(compile(export.python_script(run), "exported.py", "exec"), ns)
    monkeypatch.setattr(ns["sys"], "argv", ["exported.py", "3"])
    ns["main"]()
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "test_loss" not in result
    assert result["train_loss"] == pytest.approx(run.metrics()["train_loss"], abs=1e-6)
