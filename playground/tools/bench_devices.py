"""Where a GPU gains: ``python -m playground.bench_devices [--quick] [--json PATH]``.

Times the batched hot paths on JAX's default device: 16 packed copies of the default and
of a 6×8 network (an epoch), the loss landscape's grid, the LR finder with 5 seeds, an
epoch of the digits CNN and of the digits MLP, and, for contrast, an epoch of one ordinary
run of the default network. When the default device is not the CPU, the same figures are
taken again in a child process that JAX restricts to the CPU (``PLAYGROUND_DEVICE=cpu``),
and each gets its speed-up: CPU milliseconds / default-device milliseconds (above 1: the
GPU gains). Without a GPU it gives the CPU's figures and says that no GPU was found;
``--against-cpu`` takes the CPU reference anyway (on a CPU-only machine: a check of the
tool, every speed-up near 1).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import jax

from .. import DigitsRun
from ..server import jaxconfig
from .bench_descent import fastest, lab_calls, parallel_calls

EPOCHS = 20                   # epochs per timed call of the packed copies and the run
NO_GPU = "none found: these are the CPU's figures"


def _digits_call(model: str):
    run = DigitsRun(model=model, seed=0)
    return lambda: run.train(1)


def batched_ms(quick: bool = False) -> dict:
    """{hot path: fastest milliseconds} on JAX's default device."""
    lab = lab_calls()
    calls = {"landscape_grid": lab["landscape_grid"],
             "lr_finder_5_seeds": lab["lr_finder_5_seeds"]}
    for name, setup in {"default": {}, "6x8": dict(dataset="spiral", hidden=[8] * 6)}.items():
        par = parallel_calls(setup, EPOCHS)
        calls[f"parallel_16_copies_{name}_epoch"] = par["packed_16"]
        if name == "default":
            calls["one_run_default_epoch"] = par["run"]
    calls["digits_cnn_epoch"] = _digits_call("cnn")
    calls["digits_mlp_epoch"] = _digits_call("mlp")
    best = fastest(calls, 2 if quick else 5)
    per_epoch = {k for k in calls if k.startswith(("parallel", "one_run"))}
    return {k: round(v * 1e3 / (EPOCHS if k in per_epoch else 1), 4) for k, v in best.items()}


def cpu_reference(quick: bool = False) -> dict:
    """batched_ms in a child process that JAX restricts to the CPU."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cpu.json")
        cmd = [sys.executable, "-m", "playground.tools.bench_devices", "--json", path, "--no-reference"]
        env = {**os.environ, "PLAYGROUND_DEVICE": "cpu", "JAX_PLATFORMS": "cpu"}
        subprocess.run(cmd + (["--quick"] if quick else []), env=env, check=True,
                       stdout=subprocess.DEVNULL)
        with open(path) as fh:
            child = json.load(fh)
    if child["platform"] != "cpu":
        raise RuntimeError(f"the CPU reference ran on {child['device']}")
    return child["ms"]


def bench_devices(quick: bool = False, against_cpu: bool = False,
                  reference: bool = True) -> dict:
    """The figures as a dict: device, platform, ms (default device), and, with a CPU
    reference, cpu_ms and speedup (cpu / default device) per hot path, and the hot paths
    that gain on the default device; without one (no GPU), gpu: why."""
    platform = jax.default_backend()
    out = {"device": jaxconfig.device_description(), "platform": platform,
           "ms": batched_ms(quick)}
    if reference and (platform != "cpu" or against_cpu):
        cpu = cpu_reference(quick)
        out["cpu_ms"] = cpu
        out["speedup"] = {k: round(cpu[k] / v, 2) for k, v in out["ms"].items() if v > 0}
        out["gains_on_default_device"] = sorted(k for k, s in out["speedup"].items() if s > 1)
    elif reference:
        out["gpu"] = NO_GPU
    return out


def main(argv=None):
    jaxconfig.configure()      # the device choice and the on-disk compilation cache
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--json", default="", help="also write the figures to this file")
    ap.add_argument("--against-cpu", action="store_true",
                    help="take the CPU reference even when the default device is the CPU")
    ap.add_argument("--no-reference", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    from .. import warmup
    warmup()
    res = bench_devices(args.quick, args.against_cpu, reference=not args.no_reference)
    print(f"device: {res['device']}")
    for k, v in res["ms"].items():
        extra = ""
        if "speedup" in res:
            extra = f"   CPU {res['cpu_ms'][k]:10.3f} ms   speed-up {res['speedup'][k]:6.2f}×"
        print(f"{k:34s} {v:10.3f} ms{extra}")
    if "gpu" in res:
        print(res["gpu"])
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return res


if __name__ == "__main__":
    main()
