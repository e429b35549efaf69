"""Make an `asv publish` html dir self-contained (no CDN, no internet).

asv 0.6.x's index.html loads jQuery, Flot (+ time/selection/categories), flot-orderbars,
stupidtable, blueimp-md5 and Bootstrap from public CDNs. This module:

1. installs the same libraries, pinned in tools/dashboard/package.json + package-lock.json,
   with `npm ci` into a git-ignored cache (.cache/dashboard-npm/, reused while its installed
   versions match the pins);
2. copies the files the page needs into <html_dir>/vendor/<package>/...;
3. rewrites every CDN <script src>/<link href> in the published pages to those copies.
   An `integrity` attribute is kept when the local file has exactly that hash (jQuery,
   Bootstrap, blueimp-md5, flot-orderbars are byte-identical to the CDN copies) and dropped
   otherwise (npm ships Flot 0.8.3 unminified; npm's newest stupidtable is 1.1.3, the CDN's 1.0.1).

If npm is missing or the registry cannot be reached, nothing is rewritten, a loud warning says
the page will need internet access, and the caller carries on (publishing still succeeds).

CLI: python tools/dashboard/offline.py HTML_DIR [--cache DIR] [--npm NPM]
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import REPO_ROOT, TOOLS_DIR

DEFAULT_CACHE = os.path.join(REPO_ROOT, ".cache", "dashboard-npm")
VENDOR_DIRNAME = "vendor"
NPM_TIMEOUT = int(os.environ.get("RAPTORS_DASHBOARD_NPM_TIMEOUT", "300"))

# CDN URL in asv 0.6.x's www/index.html  ->  (npm package, file inside the package)
CDN_MAP = {
    "https://code.jquery.com/jquery-3.3.1.min.js": ("jquery", "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.min.js": (
        "flot",
        "jquery.flot.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.time.min.js": (
        "flot",
        "jquery.flot.time.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.selection.min.js": (
        "flot",
        "jquery.flot.selection.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.categories.min.js": (
        "flot",
        "jquery.flot.categories.js",
    ),
    "https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js": (
        "flot-orderbars",
        "js/jquery.flot.orderBars.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js": (
        "stupid-table-plugin",
        "stupidtable.min.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js": (
        "blueimp-md5",
        "js/md5.min.js",
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js": (
        "bootstrap",
        "dist/js/bootstrap.min.js",
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css": (
        "bootstrap",
        "dist/css/bootstrap.min.css",
    ),
}
# Files referenced by the files above (bootstrap.min.css -> ../fonts/glyphicons-*).
EXTRA_DIRS = {"bootstrap": ["dist/fonts"]}
LICENSE_RE = re.compile(r"^(LICEN[CS]E|COPYING)(\.\w+)?$", re.I)

TAG_RE = re.compile(r"<(script|link)\b[^>]*>", re.I | re.S)
ATTR_RE = r'(\s{name}\s*=\s*)(["\'])(.*?)\2'


def log(msg):
    print("[dashboard] " + msg, flush=True)


def warn_needs_internet(html_dir, reason):
    bar = "!" * 78
    sys.stderr.write(
        "\n%s\n[dashboard] WARNING: could not install the dashboard's JavaScript/CSS locally:\n"
        "[dashboard]   %s\n"
        "[dashboard] The published dashboard in %s still loads jQuery/Flot/Bootstrap\n"
        "[dashboard] from public CDNs: THE PAGE WILL NEED INTERNET ACCESS to show graphs.\n"
        "[dashboard] Re-run `make publish` once npm can reach its registry to make it offline."
        "\n%s\n\n" % (bar, reason, html_dir, bar)
    )
    sys.stderr.flush()


def pinned_versions():
    with open(os.path.join(TOOLS_DIR, "package.json"), encoding="utf-8") as f:
        return json.load(f)["dependencies"]


def _installed_version(node_modules, pkg):
    try:
        with open(os.path.join(node_modules, pkg, "package.json"), encoding="utf-8") as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def cache_ok(cache_dir):
    """True if the cache holds every pinned package at its pinned version and every needed file."""
    nm = os.path.join(cache_dir, "node_modules")
    for pkg, ver in pinned_versions().items():
        if _installed_version(nm, pkg) != ver:
            return False
    return all(os.path.isfile(os.path.join(nm, pkg, rel)) for pkg, rel in CDN_MAP.values())


def ensure_npm_cache(cache_dir=DEFAULT_CACHE, npm=None):
    """Install the pinned packages into cache_dir.

    Returns the node_modules path, or raises RuntimeError."""
    if cache_ok(cache_dir):
        log("reusing npm cache %s" % cache_dir)
        return os.path.join(cache_dir, "node_modules")
    npm = npm or os.environ.get("NPM") or shutil.which("npm")
    if not npm or not shutil.which(npm):
        raise RuntimeError("npm not found (install Node.js/npm, e.g. `apt-get install npm`)")
    os.makedirs(cache_dir, exist_ok=True)
    top = os.path.dirname(cache_dir)
    if os.path.basename(top) == ".cache" and not os.path.exists(os.path.join(top, ".gitignore")):
        with open(os.path.join(top, ".gitignore"), "w") as f:
            f.write("# created by tools/dashboard: everything here is a local cache\n*\n")
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(os.path.join(TOOLS_DIR, name), os.path.join(cache_dir, name))
    cmd = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
    log("installing pinned dashboard JS/CSS: %s (in %s)" % (" ".join(cmd[1:]), cache_dir))
    env = dict(os.environ, npm_config_update_notifier="false")
    try:
        p = subprocess.run(
            cmd,
            cwd=cache_dir,
            env=env,
            timeout=NPM_TIMEOUT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError("`npm ci` timed out after %ds" % NPM_TIMEOUT) from None
    except OSError as e:
        raise RuntimeError("could not run npm: %s" % e) from e
    if p.returncode != 0:
        tail = "\n".join(
            line for line in p.stdout.strip().splitlines() if "Unknown user config" not in line
        )[-1500:]
        raise RuntimeError("`npm ci` failed (exit %d):\n%s" % (p.returncode, tail))
    if not cache_ok(cache_dir):
        raise RuntimeError("`npm ci` finished but %s lacks the pinned files" % cache_dir)
    return os.path.join(cache_dir, "node_modules")


def copy_vendor(node_modules, html_dir):
    """Copy the needed files into <html_dir>/vendor/<pkg>/<same relative path>."""
    vendor = os.path.join(html_dir, VENDOR_DIRNAME)
    if os.path.isdir(vendor):
        shutil.rmtree(vendor)
    files = {}
    for pkg, rel in CDN_MAP.values():
        files.setdefault(pkg, set()).add(rel)
    for pkg, dirs in EXTRA_DIRS.items():
        for d in dirs:
            src = os.path.join(node_modules, pkg, d)
            for root, _, names in os.walk(src):
                for n in names:
                    files[pkg].add(
                        os.path.relpath(os.path.join(root, n), os.path.join(node_modules, pkg))
                    )
    for pkg in files:
        for n in os.listdir(os.path.join(node_modules, pkg)):
            if LICENSE_RE.match(n):
                files[pkg].add(n)
    manifest = {}
    for pkg, rels in sorted(files.items()):
        for rel in sorted(rels):
            dst = os.path.join(vendor, pkg, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(os.path.join(node_modules, pkg, rel), dst)
        manifest[pkg] = {"version": _installed_version(node_modules, pkg), "files": sorted(rels)}
    with open(os.path.join(vendor, "MANIFEST.json"), "w") as f:
        json.dump(
            {"source": "npm, pinned by tools/dashboard/package-lock.json", "packages": manifest},
            f,
            indent=2,
            sort_keys=True,
        )
    return vendor


def _sri(path, algo):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        h.update(f.read())
    return "%s-%s" % (algo, base64.b64encode(h.digest()).decode())


def _get_attr(tag, name):
    m = re.search(ATTR_RE.format(name=name), tag, re.I | re.S)
    return m.group(3) if m else None


def _drop_attr(tag, name):
    return re.sub(r"\s%s\s*=\s*([\"']).*?\1" % name, "", tag, flags=re.I | re.S)


def html_pages(html_dir):
    for root, dirs, names in os.walk(html_dir):
        dirs[:] = [d for d in dirs if d not in (VENDOR_DIRNAME, "graphs")]
        for n in names:
            if n.endswith((".html", ".htm")):
                yield os.path.join(root, n)


def external_refs(html_dir):
    """[(page, url)] for every <script src>/<link href> in the pages that is not local."""
    found = []
    for page in html_pages(html_dir):
        with open(page, encoding="utf-8") as f:
            text = f.read()
        for m in TAG_RE.finditer(text):
            tag = m.group(0)
            url = _get_attr(tag, "src" if m.group(1).lower() == "script" else "href")
            if url and re.match(r"^(https?:)?//", url, re.I):
                if m.group(1).lower() == "link" and "stylesheet" not in (
                    _get_attr(tag, "rel") or ""
                ):
                    continue  # e.g. <link rel="alternate"> is not loaded by the page
                found.append((page, url))
    return found


def rewrite_pages(html_dir, vendor_dir):
    """Point CDN tags at vendor/ copies. Returns (number rewritten, [unknown external urls])."""
    count, unknown = 0, []
    for page in html_pages(html_dir):
        with open(page, encoding="utf-8") as f:
            text = f.read()

        def fix(m, page=page):  # bound now: called only within this iteration
            nonlocal count
            tag, kind = m.group(0), m.group(1).lower()
            attr = "src" if kind == "script" else "href"
            url = _get_attr(tag, attr)
            if not url or not re.match(r"^(https?:)?//", url, re.I):
                return tag
            if url not in CDN_MAP:
                if kind == "script" or "stylesheet" in (_get_attr(tag, "rel") or ""):
                    unknown.append("%s: %s" % (os.path.relpath(page, html_dir), url))
                return tag
            pkg, rel = CDN_MAP[url]
            local = os.path.join(vendor_dir, pkg, rel)
            href = os.path.relpath(local, os.path.dirname(page)).replace(os.sep, "/")
            tag = re.sub(
                ATTR_RE.format(name=attr),
                lambda a, href=href: a.group(1) + a.group(2) + href + a.group(2),
                tag,
                count=1,
                flags=re.I | re.S,
            )
            integ = _get_attr(tag, "integrity")
            if integ:
                algo = integ.split("-", 1)[0].lower()
                ok = algo in ("sha256", "sha384", "sha512") and _sri(local, algo) == integ
                if not ok:
                    tag = _drop_attr(tag, "integrity")
            tag = _drop_attr(tag, "crossorigin")
            tag = _drop_attr(tag, "referrerpolicy")
            count += 1
            return tag

        new = TAG_RE.sub(fix, text)
        if new != text:
            with open(page, "w", encoding="utf-8") as f:
                f.write(new)
    return count, unknown


def make_offline(html_dir, cache_dir=DEFAULT_CACHE, npm=None):
    """Returns True if the dashboard is now self-contained, False (after warning) otherwise."""
    html_dir = os.path.abspath(html_dir)
    if not external_refs(html_dir) and os.path.isdir(os.path.join(html_dir, VENDOR_DIRNAME)):
        log("pages already use local vendor/ copies")
        return True
    try:
        node_modules = ensure_npm_cache(cache_dir, npm)
    except RuntimeError as e:
        warn_needs_internet(html_dir, str(e))
        return False
    vendor = copy_vendor(node_modules, html_dir)
    count, unknown = rewrite_pages(html_dir, vendor)
    versions = ", ".join("%s@%s" % kv for kv in sorted(pinned_versions().items()))
    log("rewrote %d CDN references to %s/ (%s)" % (count, VENDOR_DIRNAME, versions))
    if unknown:
        warn_needs_internet(
            html_dir,
            "external references this tool does not know "
            "(was asv upgraded? extend CDN_MAP in tools/dashboard/offline.py):\n    "
            + "\n    ".join(unknown),
        )
        return False
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("html_dir")
    ap.add_argument("--cache", default=DEFAULT_CACHE)
    ap.add_argument("--npm", default=None)
    a = ap.parse_args(argv)
    make_offline(a.html_dir, a.cache, a.npm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
