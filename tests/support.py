"""What the browser and deploy tests share: the CI rule for missing tools, free ports."""
from __future__ import annotations

import contextlib
import os
import socket

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str, what: str):
    """Skip on a laptop; under CI a missing tool (browser, nginx) is an error, never a skip."""
    if under_ci():
        pytest.fail(f"{what} cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def free_ports(n: int = 1) -> list[int]:
    """n different free local ports (all held at once while they are picked)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@contextlib.contextmanager
def x64():
    """float64 inside, restored afterwards. jax.enable_x64 is thread-local, so a compile
    running in the background (train.PROGRAMS) is not affected."""
    import jax
    if hasattr(jax, "enable_x64"):
        with jax.enable_x64(True):
            yield
        return
    from playground.engine import train
    train.PROGRAMS.wait()
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", old)


def page_and_labs(app) -> dict:
    """The playground page ``app`` and each of its labs, as Bokeh models, each in a
    document of its own: {"playground" or the lab's name: document}."""
    import panel as pn
    from bokeh.document import Document
    docs = {"playground": Document()}
    docs["playground"].add_root(pn.panel(app).get_root(docs["playground"]))
    for name in app._lab_factories:
        _, content = app._make_lab(name)
        docs[name] = Document()
        docs[name].add_root(content.get_root(docs[name]))
    return docs
