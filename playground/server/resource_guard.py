"""Panel's component resources, limited to modules the server has already imported.

Panel serves files that a component's class lists (its CSS, its JavaScript module) under
``/components/<module>/<class>/<attribute>/<path>``, and to find that class it *imports*
``<module>``: any module installed on the server, on a plain GET from anyone who can reach
it. ``GET /components/sklearn.ensemble/x`` made a server import scikit-learn: 103 MB more
and 2.4 s in which no page got a frame. The page itself requests no ``/components/`` URL
(every tab was opened in headless Chromium and its requests logged: Panel's and Bokeh's
files come from ``/static/``).

``install()`` (called by app.py) puts a check in front of Panel's handler, through Tornado's
``prepare()`` hook of that handler class (both public: ``panel.io.server`` lists
``ComponentResourceHandler`` in its public API, ``prepare`` is Tornado's per-request hook).
A request is answered 404 at once, before anything is imported, unless its module is one of
Panel's own (``panel`` or ``panel.…``) *and* already imported in this process, so no request
can make the server import anything; Panel's own checks (only resources the class lists)
still apply to what passes. If a future Panel no longer has the handler (or gives it a
``prepare`` of its own), ``install()`` changes nothing, logs why and returns False; the
proxy in front (deploy/nginx.conf) refuses ``/components/`` in any case.

Under ``panel serve app.py`` the check is in place once app.py has run, i.e. from the first
page on (``--warm`` runs it at start-up); under ``python app.py`` before the server starts.
"""
from __future__ import annotations

import logging
import sys

log = logging.getLogger("playground")

ALLOWED_PACKAGES = ("panel",)     # top-level packages whose imported modules may be served


def allowed_module(name: str, modules=None) -> bool:
    """True if ``/components/<name>/…`` may reach Panel's handler: ``name`` is one of
    ALLOWED_PACKAGES or a module under one, and already imported (nothing new is loaded)."""
    modules = sys.modules if modules is None else modules
    top = name.split(".", 1)[0]
    return top in ALLOWED_PACKAGES and name in modules


def _prepare(self):
    """Tornado calls this before the handler's get/head: refuse any other module."""
    from tornado.web import HTTPError
    path = self.path_args[0] if self.path_args else ""
    module = path.split("/", 1)[0]
    if not allowed_module(module):
        raise HTTPError(404)


_prepare.playground_guard = True


def handler_class():
    """Panel's component resource handler class, or None if this Panel has none."""
    try:
        from panel.io.server import ComponentResourceHandler
    except ImportError:
        return None
    return ComponentResourceHandler


def install(handler=None) -> bool:
    """Guard Panel's ``/components/`` handler (idempotent). True if the guard is in place;
    False (and a log line) if this Panel's handler cannot be guarded this way."""
    cls = handler_class() if handler is None else handler
    if cls is None:
        log.warning("Panel has no ComponentResourceHandler here: /components/ is not "
                    "guarded by the app (a proxy in front should refuse it)")
        return False
    if getattr(getattr(cls, "prepare", None), "playground_guard", False):
        return True                             # guarded already (or a guarded base class)
    from tornado.web import RequestHandler
    if getattr(cls, "prepare", None) is not RequestHandler.prepare:
        log.warning("Panel's ComponentResourceHandler has its own prepare(): /components/ "
                    "is not guarded by the app (a proxy in front should refuse it)")
        return False
    cls.prepare = _prepare
    return True


def installed(handler=None) -> bool:
    cls = handler_class() if handler is None else handler
    return cls is not None and getattr(getattr(cls, "prepare", None), "playground_guard", False)
