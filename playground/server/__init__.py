"""Everything that changes the process, in one package, applied by one explicit call.

``install()`` is called by ``app.py`` (``panel serve app.py``) before the first page, and
by a notebook before its first page (README, "In a notebook"):

* JAX's device (``PLAYGROUND_DEVICE``) and on-disk compilation cache
  (``PLAYGROUND_CACHE_DIR``): ``jaxconfig``;
* the interpreter's switch interval (``share_the_interpreter``);
* the faster frame messages (``wire``), where the Bokeh and Panel releases are the ones
  they were written for (else Bokeh's and Panel's own stay); ``PLAYGROUND_WIRE=bokeh``
  keeps Bokeh's and Panel's own. The server log says at start which one serves the pages;
* the server log (``logs``): the playground's lines ("Frames stopped for page 3 …")
  beside Bokeh's, and no lines for frames that were on their way to a tab that just
  closed;
* the guard of Panel's ``/components/`` handler (``resource_guard``);
* no Nagle delay on the pages' websockets (``sockets``): a frame and its answer leave at
  once;
* no check of each new page's whole document by Bokeh (``skip_document_validation``).

The rest of the package is what a server does over its life: ``warm`` compiles the
shared programs in the background (``app.py`` starts it), ``gcpolicy`` keeps the pages'
objects out of the garbage collector's full passes, ``admission`` has a new page wait for
its turn while other pages train (``app.py`` adds it to the application),
``use_local_resources`` serves Panel's files from this server for each page.

Importing any module of ``playground`` changes nothing in the process; this does.
Headless use (``from playground import Run``) needs none of it; ``jaxconfig.configure()``
alone gives a script the same device choice and compilation cache.
"""
from __future__ import annotations

import logging
import os
import sys

from .logs import CLOSED_TAB_LOGGERS, LOG_NAME, ClosedTabFilter, install_logging

__all__ = ["CLOSED_TAB_LOGGERS", "LOG_NAME", "ClosedTabFilter", "install_logging",
           "WIRE_ENV", "WIRES", "wire_choice", "install_wire", "SWITCH_INTERVAL_S",
           "share_the_interpreter", "use_local_resources", "skip_document_validation",
           "install"]

WIRE_ENV = "PLAYGROUND_WIRE"
WIRES = ("fast", "bokeh")       # the first is the default
SWITCH_INTERVAL_S = 0.0005
_installed = False


def wire_choice() -> str:
    """``PLAYGROUND_WIRE``: "fast" (the default: ``wire`` where supported) or "bokeh"
    (Bokeh's and Panel's own). Any other value: one warning line, and the default."""
    raw = os.environ.get(WIRE_ENV, "")
    value = raw.strip().lower()
    if value in WIRES:
        return value
    if value:
        logging.getLogger(LOG_NAME).warning("%s=%r is neither %s: the default, %s",
                                            WIRE_ENV, raw, " nor ".join(WIRES), WIRES[0])
    return WIRES[0]


def install_wire() -> str:
    """The frame messages' path for this process, said in one line of the server log:
    "fast" (``wire`` installed) or "bokeh" (Bokeh's and Panel's own: chosen with
    ``PLAYGROUND_WIRE=bokeh``, or ``wire`` not supported here, which logs why)."""
    from . import wire
    log = logging.getLogger(LOG_NAME)
    if wire_choice() == "bokeh":
        log.info("%sBokeh's and Panel's own (%s=bokeh)", wire.LOG_PREFIX, WIRE_ENV)
        return "bokeh"
    if wire.install():
        log.info("%sthe fast wire (%s=bokeh for Bokeh's and Panel's own)",
                 wire.LOG_PREFIX, WIRE_ENV)
        return "fast"
    return "bokeh"


def share_the_interpreter() -> None:
    """Have the interpreter switch threads every SWITCH_INTERVAL_S instead of 5 ms. Tracing
    a program (on the compile thread) is Python work that holds the GIL in 5 ms slices by
    default; every time a session's frame releases the GIL (while XLA runs) it waits a
    whole slice to get it back, and a frame with many such points is delayed by 100 ms or
    more. With 0.5 ms slices the frames keep their pace while a program compiles
    (docs/performance.md, "Code choices")."""
    if sys.getswitchinterval() > SWITCH_INTERVAL_S:
        sys.setswitchinterval(SWITCH_INTERVAL_S)


def use_local_resources(doc) -> None:
    """Panel's stylesheets and scripts for the page ``doc`` from this server, never its CDN
    (a class may have no internet). Panel records where they are when it renders a page
    over HTTP; with ``--num-procs`` a page's websocket can reach another process, which
    then builds the session itself and must be told. (A private name of Bokeh's Document:
    its template variables; tests/browser/test_num_procs.py checks the page's links.)"""
    import panel as pn
    from panel.io.resources import LOCAL_DIST
    doc._template_variables.setdefault(
        "dist_url", f"{pn.state.rel_path}/{LOCAL_DIST}" if pn.state.rel_path else LOCAL_DIST)


def skip_document_validation() -> bool:
    """No check of each new page's whole document by Bokeh (a walk of all its models for
    a developer's mistakes: about 40 ms of the event loop per playground page on a laptop,
    a twentieth of what a new page costs it, while every other page waits). The tests check
    the page and every lab instead (tests/ui/test_viewers.py). ``BOKEH_VALIDATE_DOC`` set
    in the environment keeps Bokeh's own choice. Returns whether the check is skipped."""
    from bokeh.settings import settings
    if "BOKEH_VALIDATE_DOC" in os.environ:
        return False
    settings.perform_document_validation.set_value(False)
    return True


def install() -> None:
    """Set the process up for serving pages, or for the page in a notebook (idempotent)."""
    global _installed
    if _installed:
        return
    from . import jaxconfig, resource_guard, sockets
    install_logging()           # first: the lines below go to the server log
    jaxconfig.configure()
    share_the_interpreter()
    install_wire()
    resource_guard.install()
    sockets.install()
    skip_document_validation()
    _installed = True
