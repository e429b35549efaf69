"""End-to-end check of the published asv dashboard in headless Chromium, with no network.

Serves the html dir with `python -m http.server` on 127.0.0.1 (a free port), starts Debian's
`chromium` headless with a fresh profile, drives it over the DevTools protocol (a tiny
standard-library websocket client below, so nothing else needs installing) and checks:

  graph-drawn       the headline graph (float32 @ 2048^2 scale: track_speedup, then time_raptors)
                    has a flot canvas with coloured pixels and flot holds >= 1 plotted point
  name-on-page      the benchmark's name is shown on the page
  no-dep-failure    asv's "external (JavaScript) dependencies ... failed to load" page is absent
  all-local         every request the page made went to 127.0.0.1 (no CDN)
  overview          raptors.html (the Raptors overview) loads and names the headline benchmark
  overview-operations   and shows each operation's headline speedup per commit

Screenshots: .asv/e2e/headline.png (speedup graph), .asv/e2e/time_raptors.png and
.asv/e2e/overview.png (paths printed).
Ends with a "N passed, N failed" line; exit status 0 only if all passed.

Usage: python tools/dashboard/e2e.py [--html-dir DIR] [--bench NAME] [--out DIR] [--timeout S]
"""

import argparse
import base64
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import HEADLINE, REPO_ROOT, asv_dirs
from overview import OPERATIONS

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--window-size=1400,900",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]
DEP_FAILURE_TEXT = "failed to load"


# --------------------------------------------------------------------------- websocket (RFC 6455)
class WebSocket:
    """Minimal blocking client: text frames, masking, fragmentation, ping/pong. Enough for CDP."""

    def __init__(self, url, timeout=30):
        assert url.startswith("ws://"), url
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port or 80)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (
            "GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)
        )
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError("websocket handshake refused: %r" % head[:200])

    def _recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self):
        parts = []
        while True:
            b0, b1 = self._recv_exact(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._recv_exact(8))[0]
            mask = self._recv_exact(4) if b1 & 0x80 else None
            data = self._recv_exact(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if opcode == 0x9:  # ping
                self._send_frame(0xA, data)
                continue
            if opcode == 0x8:
                raise ConnectionError("websocket closed by peer")
            if opcode in (0x1, 0x2, 0x0):
                parts.append(data)
                if b0 & 0x80:
                    return b"".join(parts).decode("utf-8", "replace")

    def close(self):
        with contextlib.suppress(OSError):
            self._send_frame(0x8, b"")
        self.sock.close()


class CDP:
    """DevTools session on one page target. Events are kept in self.events."""

    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0
        self.events = []

    def call(self, method, timeout=30, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.sock.settimeout(timeout)
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expr, timeout=30):
        r = self.call(
            "Runtime.evaluate",
            timeout=timeout,
            expression=expr,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in r:
            raise RuntimeError("JS error: %s" % json.dumps(r["exceptionDetails"])[:500])
        return r["result"].get("value")

    def navigate(self, url, timeout=30):
        self.events = [e for e in self.events if e["method"] != "Page.loadEventFired"]
        self.call("Page.navigate", url=url)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(e["method"] == "Page.loadEventFired" for e in self.events):
                return True
            self.ws.sock.settimeout(max(0.1, deadline - time.time()))
            try:
                msg = json.loads(self.ws.recv())
            except socket.timeout:
                break
            if "method" in msg:
                self.events.append(msg)
        return False

    def screenshot(self, path, full_page=False):
        params = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics").get("cssContentSize") or {}
            if size.get("height"):
                params.update(
                    captureBeyondViewport=True,
                    clip={
                        "x": 0,
                        "y": 0,
                        "width": max(size.get("width", 1400), 1),
                        "height": min(size["height"], 8000),
                        "scale": 1,
                    },
                )
        data = self.call("Page.captureScreenshot", timeout=60, **params)["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path


# --------------------------------------------------------------------------- processes
def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def find_chromium():
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def start_chromium(binary, profile, timeout=60):
    # Open for chromium's whole life; the caller's cleanup closes it with the process.
    log = open(os.path.join(profile, "chromium.log"), "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [binary] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile, "about:blank"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("chromium exited with %s; see %s" % (proc.returncode, log.name))
        if os.path.exists(port_file):
            with open(port_file) as f:
                lines = f.read().split()
            if len(lines) >= 2:
                return proc, int(lines[0])
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("chromium did not open its DevTools port within %ds" % timeout)


def page_ws_url(devtools_port):
    with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % devtools_port, timeout=10) as r:
        targets = json.load(r)
    for t in targets:
        if t.get("type") == "page":
            return t["webSocketDebuggerUrl"]
    req = urllib.request.Request(
        "http://127.0.0.1:%d/json/new?about:blank" % devtools_port, method="PUT"
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["webSocketDebuggerUrl"]


def stop(proc, timeout=10):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- the checks
GRAPH_STATE_JS = r"""
(() => {
  const out = {href: location.href, title: document.title,
               text: document.body ? document.body.innerText : ""};
  const base = document.querySelector('#main-graph canvas.flot-base') ||
               document.querySelector('#main-graph canvas');
  out.canvas = !!base;
  out.colored = 0; out.nonblank = 0; out.points = 0; out.series = 0;
  if (base && base.width > 0 && base.height > 0) {
    const d = base.getContext('2d').getImageData(0, 0, base.width, base.height).data;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i+3] === 0) continue;
      const mx = Math.max(d[i], d[i+1], d[i+2]), mn = Math.min(d[i], d[i+1], d[i+2]);
      if (mx < 250 || mn < 250) out.nonblank++;
      if (mx - mn > 60) out.colored++;          // a series colour, not the grey grid/axes
    }
    out.size = [base.width, base.height];
  }
  if (window.jQuery) {
    const plot = jQuery('#main-graph').data('plot');
    if (plot) {
      const data = plot.getData();
      out.series = data.length;
      for (const s of data) out.points += (s.data || []).filter(p => p && p[1] !== null).length;
    }
  }
  out.scripts = Array.from(document.querySelectorAll('script[src],link[rel=stylesheet]'))
                     .map(e => e.src || e.href);
  return out;
})()
"""


def run(args):
    _, html_default, _ = asv_dirs(args.config)
    html_dir = os.path.abspath(args.html_dir or html_default)
    out_dir = os.path.abspath(args.out)
    results = []

    def check(name, ok, detail=""):
        results.append((name, bool(ok)))
        print("%s %-15s %s" % ("PASS" if ok else "FAIL", name, detail), flush=True)

    if not os.path.isfile(os.path.join(html_dir, "index.html")):
        print("e2e: no published dashboard at %s (run `make publish` first)" % html_dir)
        print("0 passed, 1 failed")
        return 1
    chromium = find_chromium()
    if not chromium:
        print("e2e: chromium not found (apt-get install chromium; `make e2e` does this)")
        print("0 passed, 1 failed")
        return 1

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            html_dir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    profile = tempfile.mkdtemp(prefix="raptors-e2e-chromium-")
    browser = cdp = None
    t0 = time.time()
    try:
        if not wait_port(port):
            raise RuntimeError("http.server did not start on 127.0.0.1:%d" % port)
        base = "http://127.0.0.1:%d/" % port
        print("e2e: serving %s at %s; browser %s" % (html_dir, base, chromium), flush=True)
        browser, devtools_port = start_chromium(chromium, profile)
        cdp = CDP(page_ws_url(devtools_port))
        for domain in ("Page", "Runtime", "Network"):
            cdp.call(domain + ".enable")
        cdp.call(
            "Emulation.setDeviceMetricsOverride",
            width=1400,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )

        def graph(bench, shot_name):
            if not first[0]:
                cdp.navigate("about:blank", timeout=10)  # a new hash alone is no page load
            first[0] = False
            url = base + "index.html#" + bench
            print("e2e: opening %s" % url, flush=True)
            cdp.navigate(url, timeout=args.timeout)
            deadline = time.time() + args.timeout
            state = {}
            while time.time() < deadline:
                state = cdp.evaluate(GRAPH_STATE_JS) or {}
                if (
                    state.get("colored", 0) > 0
                    and state.get("points", 0) > 0
                    and bench in state.get("text", "")
                ):
                    break
                if "error.html" in state.get("href", ""):
                    break
                time.sleep(0.5)
            time.sleep(0.5)  # let flot finish the overview plot before the screenshot
            shot = cdp.screenshot(os.path.join(out_dir, shot_name))
            print("e2e: screenshot %s" % shot, flush=True)
            tag = "" if bench == args.bench[0] else "[%s] " % bench.rsplit(".", 1)[-1]
            check(
                tag + "graph-drawn",
                state.get("canvas") and state.get("colored", 0) > 0 and state.get("points", 0) > 0,
                "canvas=%s size=%s coloured_px=%s nonblank_px=%s series=%s points=%s"
                % (
                    state.get("canvas"),
                    state.get("size"),
                    state.get("colored"),
                    state.get("nonblank"),
                    state.get("series"),
                    state.get("points"),
                ),
            )
            check(tag + "name-on-page", bench in state.get("text", ""), bench)
            failed_dep = "error.html" in state.get("href", "") or DEP_FAILURE_TEXT in state.get(
                "text", ""
            )
            check(tag + "no-dep-failure", not failed_dep, "page: %s" % state.get("href"))
            scripts.extend(state.get("scripts", []))

        first, scripts = [True], []
        for i, bench in enumerate(args.bench):
            graph(bench, "headline.png" if i == 0 else bench.rsplit(".", 1)[-1] + ".png")

        # Every request must have stayed on 127.0.0.1 (the page is self-contained).
        requested = [
            e["params"]["request"]["url"]
            for e in cdp.events
            if e["method"] == "Network.requestWillBeSent"
        ]
        requested += scripts
        external = sorted(
            {
                u
                for u in requested
                if not (
                    u.startswith(base)
                    or u.startswith("data:")
                    or u.startswith("about:")
                    or u.startswith("blob:")
                )
            }
        )
        failed = [
            e["params"].get("errorText")
            for e in cdp.events
            if e["method"] == "Network.loadingFailed"
        ]
        check(
            "all-local",
            not external and requested,
            "%d requests, external: %s, failed loads: %s"
            % (len(requested), external or "none", failed or "none"),
        )

        if os.path.isfile(os.path.join(html_dir, "raptors.html")):
            cdp.navigate(base + "raptors.html", timeout=args.timeout)
            text = cdp.evaluate("document.body ? document.body.innerText : ''") or ""
            shot2 = cdp.screenshot(os.path.join(out_dir, "overview.png"), full_page=True)
            print("e2e: screenshot %s" % shot2, flush=True)
            check(
                "overview",
                args.bench[0] in text and "Raptors" in text,
                "raptors.html, %d chars of text" % len(text),
            )
            # Each operation's headline speedup per commit (or the note that none was measured).
            check(
                "overview-operations",
                "Every operation: speedup over NumPy per commit" in text,
                "operations shown: %s"
                % (", ".join(op for op, _b, _s in OPERATIONS if "\n%s\n" % op in text) or "none"),
            )
        else:
            check("overview", False, "raptors.html missing from %s" % html_dir)
    except Exception as e:
        check("harness", False, "%s: %s" % (type(e).__name__, e))
    finally:
        if cdp:
            with contextlib.suppress(Exception):
                cdp.call("Browser.close", timeout=5)
            cdp.ws.close()
        stop(browser)
        stop(server)
        shutil.rmtree(profile, ignore_errors=True)

    passed = sum(ok for _, ok in results)
    failed = len(results) - passed
    print("e2e: %.1fs" % (time.time() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=None, help="asv.conf.json (default: repo root)")
    ap.add_argument(
        "--html-dir", default=None, help="published dir (default: asv.conf.json html_dir)"
    )
    ap.add_argument(
        "--bench",
        action="append",
        default=None,
        help="benchmark whose graph is opened (repeatable; the first is the headline "
        "screenshot; default: %s and its time_raptors)" % HEADLINE,
    )
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, ".asv", "e2e"), help="screenshot dir")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args(argv)
    args.bench = args.bench or [HEADLINE, HEADLINE.rsplit(".", 1)[0] + ".time_raptors"]
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
