"""``deploy/nginx.conf`` for real: nginx in front of two ``panel serve app.py`` processes.

The site config is used as it is, except that its two ``server appN:5006;`` upstreams become
two local processes on free ports, ``listen 8080`` a free port and ``server_name localhost``
127.0.0.1. It is wrapped in a small
top-level config whose pid file, logs and temp folders all lie in a temporary folder, so
nginx runs as an ordinary process (``nginx -c DIR/nginx.conf -p DIR``). The access log
records ``$upstream_addr``, the process each request was passed to.

Checked: the page comes through the proxy; a Bokeh client session (a websocket) opens
through it, and a browser's ``Origin`` is accepted while a foreign one is refused; the
websocket of a page reaches the process that made the page (``ip_hash``), so the session
found is the page's own; every proxied request went to one upstream; both processes
answer directly. A foreign ``Host`` (DNS rebinding) gets no answer, page or websocket; the
Host passed on is pinned, so an ``Origin`` equal to the client's Host (or a claimed
``Sec-Fetch-Site: same-origin``) does not open a websocket; ``/components/`` is refused by
nginx and never passed on.

Missing nginx: skipped on a laptop, a *failure* under ``CI`` (as the browser tests).
Kept in ``tests/artifacts/``: ``nginx-{app1,app2,access,error}.log`` and the configs used
(``nginx-wrapper.conf``, ``nginx-site.conf``).

By hand: ``python -m tests.deploy.test_nginx DIR NGINX_PORT APP1_PORT APP2_PORT`` writes the
config into DIR and prints the nginx command (see deploy/README.md).
"""
from __future__ import annotations

import asyncio
import importlib
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from playground.tools.loadtest import stop_server
from tests.support import free_ports, unavailable

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx.conf"
ARTIFACTS = ROOT / "tests" / "artifacts"
START_TIMEOUT = 180            # s until both processes answer GET /app with 200 (JAX compiles)
TITLE = "<title>Neural Network Playground</title>"


def _unavailable(reason: str):
    unavailable(reason, "the deploy test")


def _nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx"):    # sbin is not always on PATH
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def site_config(port: int, upstreams: list[int]) -> str:
    """deploy/nginx.conf with local upstreams, listen port and server_name 127.0.0.1 (each
    replaced exactly where the file has it)."""
    text = SITE.read_text()
    for i, up in enumerate(upstreams, start=1):
        text, n = re.subn(rf"(?m)^(\s*)server\s+app{i}:5006\s*;",
                          rf"\g<1>server 127.0.0.1:{up};", text)
        assert n == 1, f"deploy/nginx.conf: expected one `server app{i}:5006;` line, found {n}"
    text, n = re.subn(r"(?m)^(\s*)listen\s+8080(\s+default_server)?\s*;",
                      rf"\g<1>listen 127.0.0.1:{port}\g<2>;", text)
    assert n == 2, f"deploy/nginx.conf: expected two `listen 8080` lines (the default server " \
                   f"and the playground's), found {n}"
    text, n = re.subn(r"(?m)^(\s*)server_name\s+localhost\s*;", r"\g<1>server_name 127.0.0.1;",
                      text)
    assert n == 1, f"deploy/nginx.conf: expected one `server_name localhost;` line, found {n}"
    assert re.search(r"(?m)^\s*ip_hash\s*;", text), "deploy/nginx.conf lost its ip_hash"
    assert re.search(r"(?m)^\s*return\s+444\s*;", text), "no default server refusing other hosts"
    assert re.search(r"(?m)^\s*proxy_set_header\s+Host\s+\$server_name:\$server_port\s*;", text), \
        "the upstream's Host header is not pinned to the server's own name"
    return text


def write_config(folder: Path, port: int, upstreams: list[int]) -> Path:
    """Write site.conf and the wrapping nginx.conf into ``folder``; return the latter."""
    folder = folder.resolve()
    (folder / "temp").mkdir(parents=True, exist_ok=True)
    (folder / "site.conf").write_text(site_config(port, upstreams))
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").is_file() else ""
    # As root, nginx's workers would switch to `nobody`, who cannot write the temp folders.
    user = "user root;" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(f"""\
# Written by tests/deploy/test_nginx.py: deploy/nginx.conf (site.conf) with local upstreams.
{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;

events {{
    worker_connections 256;
}}

http {{
    {mime}
    log_format upstream '$remote_addr "$request" $status upstream=$upstream_addr';
    access_log {folder}/access.log upstream;
    client_body_temp_path {folder}/temp/client_body;
    proxy_temp_path {folder}/temp/proxy;
    fastcgi_temp_path {folder}/temp/fastcgi;
    uwsgi_temp_path {folder}/temp/uwsgi;
    scgi_temp_path {folder}/temp/scgi;

    include {folder}/site.conf;
}}
""")
    return conf


def nginx_command(nginx: str, conf: Path, *extra: str) -> list[str]:
    folder = conf.parent
    # -e: the error log used before the config is read (else /var/log/nginx/error.log)
    return [nginx, "-c", str(conf), "-p", str(folder), "-e", str(folder / "error.log"), *extra]


def _get(url: str, timeout: float = 30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, dict(r.headers), r.read().decode(errors="replace")


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return f"(no {path.name})"


class Stack:
    def __init__(self, folder: Path, port: int, upstreams: list[int], apps, app_logs, nginx):
        self.folder, self.port, self.upstreams = folder, port, upstreams
        self.apps, self.app_logs, self.nginx = apps, app_logs, nginx
        self.url = f"http://127.0.0.1:{port}"
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"

    def access_lines(self) -> list[str]:
        try:
            return self.access_log.read_text().splitlines()
        except OSError:
            return []


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    nginx = _nginx()
    if nginx is None:
        _unavailable("no nginx executable (apt-get install nginx)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port, *upstreams = free_ports(3)
    folder = tmp_path_factory.mktemp("nginx")
    conf = write_config(folder, port, upstreams)
    shutil.copy(conf.parent / "site.conf", ARTIFACTS / "nginx-site.conf")

    check = subprocess.run(nginx_command(nginx, conf, "-t"), capture_output=True, text=True)
    assert check.returncode == 0, f"nginx -t failed:\n{check.stdout}{check.stderr}"

    # Unique model ids in every process: otherwise two processes number their models alike
    # and a page's document could not be told from a fresh one made by the other process.
    env = dict(os.environ, BOKEH_SIMPLE_IDS="no")
    apps, logs = [], []
    try:
        for i, up in enumerate(upstreams, start=1):
            log_path = ARTIFACTS / f"nginx-app{i}.log"
            log = open(log_path, "w")
            logs.append((log, log_path))
            cmd = [sys.executable, "-m", "panel", "serve", "app.py", "--port", str(up),
                   "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"]
            apps.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True))
        proxy = subprocess.Popen(nginx_command(nginx, conf), cwd=folder,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        st = Stack(folder, port, upstreams, apps, [p for _, p in logs], proxy)

        deadline = time.monotonic() + START_TIMEOUT
        for proc, up, (_, log_path) in zip(apps, upstreams, logs):
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"panel serve on :{up} exited with {proc.returncode}\n"
                                f"--- {log_path.name} ---\n{_tail(log_path)}", pytrace=False)
                try:
                    if _get(f"http://127.0.0.1:{up}/app")[0] == 200:
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"panel serve on :{up} did not answer 200 on /app within "
                                f"{START_TIMEOUT}s\n--- {log_path.name} ---\n{_tail(log_path)}",
                                pytrace=False)
                time.sleep(0.5)
        assert proxy.poll() is None, f"nginx exited:\n{_tail(st.error_log)}"
        yield st
    finally:
        if "proxy" in locals():
            stop_server(proxy)
        for proc in apps:
            stop_server(proc)
        for log, _ in logs:
            log.close()
        for name, kept in (("access.log", "nginx-access.log"), ("error.log", "nginx-error.log"),
                           ("nginx.conf", "nginx-wrapper.conf")):
            if (folder / name).exists():
                shutil.copy(folder / name, ARTIFACTS / kept)


def _page_token(html: str) -> str:
    m = re.search(r'"token"\s*:\s*"([^"]+)"', html)
    assert m, "no session token in the page"
    return m.group(1)


def _page_roots(html: str) -> set[str]:
    m = re.search(r'"roots"\s*:\s*\{([^}]*)\}', html)
    assert m, "no roots in the page"
    roots = set(re.findall(r'"([^"]+)"\s*:', m.group(1)))
    assert roots, "the page names no root models"
    return roots


def test_both_upstreams_answer_directly(stack):
    for proc, up in zip(stack.apps, stack.upstreams):
        assert proc.poll() is None, f"panel serve on :{up} has exited"
        status, _, html = _get(f"http://127.0.0.1:{up}/app")
        assert status == 200 and TITLE in html


def test_page_through_the_proxy(stack):
    status, headers, html = _get(f"{stack.url}/app")
    assert status == 200
    assert headers.get("Server", "").startswith("nginx"), headers
    assert TITLE in html
    _page_token(html)


def _in_a_thread(fn, *args, **kwargs):
    """Run fn in a thread of its own: the Bokeh client and asyncio.run need an event loop,
    and the browser tests' Playwright keeps one running in this thread when they ran first."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result(timeout=120)


def _pull_session(**kwargs) -> dict:
    """Open a Bokeh client session (a websocket) and close it again, in a thread of its own;
    what it found: connected, the root model ids and the number of models."""
    importlib.import_module("panel.models")  # the page's Panel models, known to decode it
    from bokeh.client import pull_session

    def pull():
        import asyncio
        from tornado.ioloop import IOLoop
        asyncio.set_event_loop(asyncio.new_event_loop())
        session = pull_session(io_loop=IOLoop.current(), **kwargs)
        try:
            return {"connected": session.connected,
                    "roots": {m.id for m in session.document.roots},
                    "models": len(session.document.models)}
        finally:
            session.close()
    return _in_a_thread(pull)


def test_websocket_through_the_proxy(stack):
    found = _pull_session(url=f"{stack.url}/app")
    assert found["connected"]
    assert len(found["roots"]) > 0
    assert found["models"] > 10


def test_browser_origin_is_accepted_and_a_foreign_one_refused(stack):
    """What a browser sends: the page's token and an Origin header (checked by Bokeh)."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    token = _page_token(_get(f"{stack.url}/app")[2])
    ws_url = f"ws://127.0.0.1:{stack.port}/app/ws"

    async def first_message(origin: str) -> str:
        req = HTTPRequest(ws_url, headers={"Origin": origin}, request_timeout=30)
        conn = await websocket_connect(req, subprotocols=["bokeh", token])
        try:
            msg = await asyncio.wait_for(conn.read_message(), 30)   # the header of an ACK
            return msg if isinstance(msg, str) else msg.decode()
        finally:
            conn.close()

    assert '"ACK"' in _in_a_thread(asyncio.run, first_message(f"http://127.0.0.1:{stack.port}"))
    with pytest.raises(HTTPClientError) as refused:
        _in_a_thread(asyncio.run, first_message("http://elsewhere.example"))
    assert refused.value.code == 403


def test_a_page_and_its_websocket_reach_the_same_process(stack):
    """ip_hash: the websocket finds the session made for the page, not a fresh one."""
    from bokeh.util.token import get_session_id

    before = len(stack.access_lines())
    html = _get(f"{stack.url}/app")[2]
    session_id, roots = get_session_id(_page_token(html)), _page_roots(html)
    pulled = _pull_session(session_id=session_id, url=f"{stack.url}/app")["roots"]
    # a process that did not make the page would build a new document with other ids
    assert pulled == roots, f"the websocket reached another process: {pulled} != {roots}"

    for _ in range(3):
        assert _get(f"{stack.url}/app")[0] == 200

    # every proxied request, websockets included (logged when they close), went to one process
    expected = {f"127.0.0.1:{up}" for up in stack.upstreams}
    deadline = time.monotonic() + 10
    while True:
        lines = [ln for ln in stack.access_lines() if ln.startswith("127.0.0.1 ")]
        new = stack.access_lines()[before:]
        ws_done = [ln for ln in new if "/app/ws" in ln and '" 101 ' in ln]
        if ws_done or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert ws_done, "no websocket in nginx's access log:\n" + "\n".join(lines)
    used = {ln.rsplit("upstream=", 1)[1] for ln in lines}
    assert len(used) == 1 and used <= expected, "\n".join(lines)


def _raw_get(port: int, path: str, host: str) -> int | None:
    """GET with a chosen Host header; the status, or None when nginx closed the connection
    without an answer (its 444)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": host})
        return conn.getresponse().status
    except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
        return None
    finally:
        conn.close()


def test_a_foreign_host_is_refused_and_the_servers_own_is_served(stack):
    """DNS rebinding: a page on another domain that resolves to this server sends its own
    name as Host (and as the websocket's Origin). nginx answers only its server_name."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    own = f"127.0.0.1:{stack.port}"
    assert _raw_get(stack.port, "/app", own) == 200
    assert _raw_get(stack.port, "/app", f"LOCALHOST:{stack.port}") is None  # not its name
    for foreign in (f"rebound.example:{stack.port}", "rebound.example"):
        assert _raw_get(stack.port, "/app", foreign) is None, foreign
    assert _raw_get(stack.port, "/app", "") in (None, 400)     # an empty Host: bad request

    token = _page_token(_get(f"{stack.url}/app")[2])

    async def ack(host: str, origin: str) -> str:
        req = HTTPRequest(f"ws://127.0.0.1:{stack.port}/app/ws", request_timeout=30,
                          headers={"Host": host, "Origin": origin})
        conn = await websocket_connect(req, subprotocols=["bokeh", token])
        try:
            msg = await asyncio.wait_for(conn.read_message(), 30)
            return msg if isinstance(msg, str) else msg.decode()
        finally:
            conn.close()

    assert '"ACK"' in _in_a_thread(asyncio.run, ack(own, f"http://{own}"))
    rebound = f"rebound.example:{stack.port}"
    with pytest.raises(Exception) as refused:      # the connection closes: no handshake
        _in_a_thread(asyncio.run, ack(rebound, f"http://{rebound}"))
    assert "ACK" not in str(refused.value)
    # The Host passed on is pinned and Sec-Fetch-Site dropped: an Origin equal to what the
    # client sent as Host (same name, another port), or a claim of "same-origin", is not
    # enough behind nginx; the app's --allow-websocket-origin decides (403).
    from tornado.httpclient import HTTPClientError
    other = "127.0.0.1:1"
    for headers in ({"Host": other, "Origin": f"http://{other}"},
                    {"Origin": "http://elsewhere.example", "Sec-Fetch-Site": "same-origin"}):
        async def connect(headers=headers):
            req = HTTPRequest(f"ws://127.0.0.1:{stack.port}/app/ws", request_timeout=30,
                              headers=headers)
            (await websocket_connect(req, subprotocols=["bokeh", token])).close()
        with pytest.raises(HTTPClientError) as refused:
            _in_a_thread(asyncio.run, connect())
        assert refused.value.code == 403, headers
    lines = [ln for ln in stack.access_lines() if " 444 " in ln]
    assert lines and all("upstream=-" in ln for ln in lines), lines   # never passed on


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_teachers_short_address_opens_the_teachers_page(stack):
    """/teacher through the proxy is the app's teacher page (/app?teacher); the page the
    redirect names is served."""
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as moved:
        opener.open(f"{stack.url}/teacher", timeout=30)
    assert moved.value.code == 302
    assert moved.value.headers["Location"].endswith("/app?teacher"), moved.value.headers
    status, _, body = _get(f"{stack.url}/teacher")          # followed: the app's page
    assert status == 200 and "<html" in body.lower()


def test_component_resources_are_refused_by_the_proxy(stack):
    """/components/<module>/… would make Panel import <module>: nginx never passes it on."""
    for path in ("/components/sklearn.ensemble/x", "/components/os/x",
                 "//components/os/x", "/%63omponents/os/x"):
        t0 = time.perf_counter()
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(f"{stack.url}{path}")
        assert refused.value.code == 404 and time.perf_counter() - t0 < 2, path
    # nginx writes a request's log line once it has answered: the last may come a moment
    # after its answer
    deadline = time.monotonic() + 5
    while True:
        lines = [ln for ln in stack.access_lines() if "omponents/" in ln]
        if len(lines) >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(lines) >= 4 and all("upstream=-" in ln for ln in lines), lines


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: python -m tests.deploy.test_nginx DIR NGINX_PORT APP1_PORT APP2_PORT")
    out, port, up1, up2 = Path(sys.argv[1]), *map(int, sys.argv[2:])
    conf = write_config(out, port, [up1, up2])
    print(" ".join(nginx_command(_nginx() or "nginx", conf)))
