"""Regenerate assets/screenshot.png (the README's picture of the page).

    python scripts/make_screenshot.py [--chromium /usr/bin/chromium]

Serves the app on a free local port, trains the default network on the circle for a few
seconds with the test data shown, and saves the page.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromium", default=os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium"))
    ap.add_argument("--out", default=str(ROOT / "assets" / "screenshot.png"))
    args = ap.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "panel", "serve", "app.py", "--port", str(port),
                               "--address", "127.0.0.1"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/app"
        for _ in range(180):
            try:
                urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1290, "height": 930})
            page.goto(url)
            page.get_by_role("button", name="Play").click(timeout=60000)
            page.locator("input[type=checkbox]").nth(1).check()   # Log scale, *Show test data*, Discretize
            page.mouse.move(0, 0)
            page.wait_for_timeout(8000)
            page.get_by_role("button", name="Pause").click()
            page.mouse.move(0, 0)
            page.wait_for_timeout(500)
            page.screenshot(path=args.out)
            browser.close()
        print("saved", args.out)
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
