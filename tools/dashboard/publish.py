"""`make publish`: asv publish, then make the dashboard offline and add the Raptors overview.

Steps: (1) asv publish (unless --no-asv), through asv_publish.py so that the Regressions tab
lists a drop of a speedup, GB/s or roofline fraction and never a rise; (2)
tools/dashboard/offline.py installs the pinned JS/CSS with npm and rewrites the CDN links (a
failure there only warns: the page then needs internet access); (3) writes
<html_dir>/raptors.html and links it from the top of index.html.
Prints the path of index.html last.

Usage: python tools/dashboard/publish.py [--config asv.conf.json] [--no-asv] [--if-needed]
                                        [--has-results] [asv publish args...]
  --if-needed    do nothing if the published dashboard is newer than every results file
  --has-results  only report (exit 0/1) whether the results hold the headline benchmark
"""

import argparse
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import offline
import overview
from common import REPO_ROOT, TOOLS_DIR, asv_dirs


def up_to_date(html_dir, results_dir):
    index = os.path.join(html_dir, "index.html")
    if not (os.path.isfile(index) and os.path.isfile(os.path.join(html_dir, "raptors.html"))):
        return False
    if offline.external_refs(html_dir):
        return False  # still loads from CDNs: try to make it offline again
    newest = max(
        [os.path.getmtime(p) for p in glob.glob(os.path.join(results_dir, "*", "*.json"))] + [0]
    )
    return newest <= os.path.getmtime(os.path.join(html_dir, "raptors.html"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=None)
    ap.add_argument("--no-asv", action="store_true", help="skip `asv publish` (html dir exists)")
    ap.add_argument(
        "--no-offline", action="store_true", help="leave the CDN links as asv wrote them"
    )
    ap.add_argument("--npm-cache", default=offline.DEFAULT_CACHE)
    ap.add_argument("--if-needed", action="store_true", help="skip if up to date with the results")
    ap.add_argument("--has-results", action="store_true", help="exit 0 iff headline results exist")
    a, asv_args = ap.parse_known_args(argv)
    config, html_dir, results_dir = asv_dirs(a.config)

    if a.has_results:
        machines = overview.collect(results_dir)
        n = sum(len(m["rows"]) for m in machines.values())
        print(
            "[dashboard] %d commit(s) with %s results in %s" % (n, overview.HEADLINE, results_dir)
        )
        return 0 if n else 1
    if a.if_needed and up_to_date(html_dir, results_dir):
        print("[dashboard] %s is up to date with %s" % (html_dir, results_dir))
        print(os.path.join(html_dir, "index.html"))
        return 0

    if not a.no_asv:
        # asv publish, with the Regressions tab reading speedups, GB/s and roofline fractions
        # as higher-is-better (asv_publish.py).
        cmd = [sys.executable, os.path.join(TOOLS_DIR, "asv_publish.py"), "publish"]
        cmd += ["--config", config] + asv_args
        print("[dashboard] " + " ".join(cmd), flush=True)
        rc = subprocess.call(cmd, cwd=os.path.dirname(config) or REPO_ROOT)
        if rc != 0:
            print("[dashboard] asv publish failed (exit %d)" % rc, file=sys.stderr)
            return rc
    index = os.path.join(html_dir, "index.html")
    if not os.path.isfile(index):
        print("[dashboard] no %s: nothing was published" % index, file=sys.stderr)
        return 1

    ok = None
    if not a.no_offline:
        ok = offline.make_offline(html_dir, a.npm_cache)
    page, machines = overview.write_overview(html_dir, results_dir, offline=ok)
    overview.link_from_index(html_dir)
    n = sum(len(m["rows"]) for m in machines.values())
    print("[dashboard] overview: %s (%d commit(s) on %d machine(s))" % (page, n, len(machines)))
    if ok:
        print("[dashboard] dashboard is self-contained: no internet needed to view it")
    elif ok is False:
        print(
            "[dashboard] dashboard NEEDS INTERNET ACCESS to load its JavaScript (see warning above)"
        )
    print(index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
