"""Shared helpers for tools/dashboard: where the repo, the asv config and its dirs are.

Only the standard library is used here, so e2e.py and preview.py work in any Python.
"""

import json
import os
import re

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(TOOLS_DIR))

HEADLINE = "bench_headline.ScaleF32At2048.track_speedup"

# Benchmarks where a higher value is better (asv assumes lower; see asv_publish.py): every
# speedup over NumPy, bandwidth and fraction of the copy roofline. Everything else the suite
# tracks is lower-is-better: times, peak memory, instructions, the 16-element overhead ratio
# (Raptors time / NumPy time). tests/tools/test_dashboard.py checks every track_ of the suite is
# classified on purpose.
HIGHER_IS_BETTER = re.compile(r"\.track_(speedup|gbps|roofline_fraction)$")
LOWER_IS_BETTER_TRACKS = re.compile(r"\.track_(overhead_ratio|instructions|threads)$")


def higher_is_better(name):
    """True for a benchmark (asv name, without parameters) whose higher values are better."""
    return bool(HIGHER_IS_BETTER.search(name))


def _load_jsonc(path):
    """asv.conf.json may hold // comments and trailing commas (asv tolerates both)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # Drop // comments that are not inside a string (a simple scan is enough for asv configs).
    out, i, n, in_str = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    text = re.sub(r",(\s*[}\]])", r"\1", "".join(out))
    return json.loads(text)


def asv_dirs(config=None):
    """Return (config_path, html_dir, results_dir), absolute, as asv resolves them."""
    config = os.path.abspath(config or os.path.join(REPO_ROOT, "asv.conf.json"))
    base = os.path.dirname(config)
    conf = _load_jsonc(config) if os.path.exists(config) else {}
    html_dir = os.path.join(base, conf.get("html_dir", "html"))
    results_dir = os.path.join(base, conf.get("results_dir", "results"))
    return config, os.path.normpath(html_dir), os.path.normpath(results_dir)
