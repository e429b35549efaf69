"""`make preview`: serve the published dashboard on 127.0.0.1 and print its URL (Ctrl-C stops).

Usage: python tools/dashboard/preview.py [--config asv.conf.json] [--port N]  (PORT env also works)
"""

import argparse
import functools
import http.server
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import asv_dirs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=None)
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    a = ap.parse_args(argv)
    _, html_dir, _ = asv_dirs(a.config)
    if not os.path.isfile(os.path.join(html_dir, "index.html")):
        print("no dashboard at %s: run `make publish` (or `make bench`) first" % html_dir)
        return 1
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=html_dir)
    try:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), handler)
    except OSError:
        httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), handler
        )  # port busy: any free one
    port = httpd.server_address[1]
    print("Serving %s" % html_dir)
    print("Dashboard:        http://127.0.0.1:%d/index.html" % port)
    print("Raptors overview: http://127.0.0.1:%d/raptors.html" % port)
    print("(Ctrl-C to stop)", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
