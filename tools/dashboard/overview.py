"""Write <html_dir>/raptors.html: the Raptors headline at a glance, static, no JavaScript, no network.

For every asv machine in the results dir it shows the headline speedup
(bench_headline.ScaleF32At2048.track_speedup: Raptors vs NumPy, float32, scale of a 2048x2048
array) for each measured commit, as a big number (latest commit), a bar chart (inline SVG) and a
table with the supporting timings; then each operation's headline speedup per commit (OPERATIONS:
scale's above, and add, subtract, multiply, sum, mean at float32 2048x2048 on every CPU, from
bench_ops.<Op>Speedup.track_speedup), as figures, small bar charts and a table; plus the machine
(asv's machine.json) and the build the benchmarks recorded (see load_build_info).

Reads asv 0.6 results files (api_version 2): .asv/results/<machine>/<hash>-<env>.json with
"results": {name: [result, params, version, started_at, duration, stats..., samples, profile]}
laid out by "result_columns". Commit order comes from the published index.json
(revision_to_hash) when present, else from commit date.

CLI: python tools/dashboard/overview.py [--config asv.conf.json] [--html-dir D] [--results-dir D]
"""

import argparse
import ast
import datetime
import glob
import html
import itertools
import json
import math
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import HEADLINE, asv_dirs

CLASS = HEADLINE.rsplit(".", 1)[0]
COLUMNS = [  # (benchmark, label, formatter)
    (CLASS + ".track_speedup", "speedup vs NumPy", lambda v: "%.2f&times;" % v),
    (CLASS + ".time_raptors", "Raptors time", lambda v: fmt_time(v)),
    (CLASS + ".time_numpy", "NumPy time", lambda v: fmt_time(v)),
    (CLASS + ".track_gbps", "Raptors GB/s", lambda v: "%.1f" % v),
    (CLASS + ".track_roofline_fraction", "of roofline", lambda v: "%.0f%%" % (100 * v)),
]
# Each operation's headline: (operation, benchmark, parameter values or None). The parameter
# values are asv's (repr strings), matched by name against the benchmark's param_names.
_OP_PARAMS = {"dtype": "'float32'", "shape": "'2048x2048'", "threads": "'all'"}
OPERATIONS = [("scale", HEADLINE, None)] + [
    (op, "bench_ops.%sSpeedup.track_speedup" % op.capitalize(), _OP_PARAMS)
    for op in ("add", "subtract", "multiply", "sum", "mean")
]
OPERATIONS_WHAT = (
    "float32, 2048&times;2048, every CPU; add, subtract, multiply into <code>out=</code>"
)
BUILD_KEYS = ["raptors", "simd", "simd_available", "threads", "compiler", "cflags", "numpy"]
BUILD_LABELS = {
    "raptors": "Raptors (commit)",
    "simd": "SIMD in use",
    "simd_available": "SIMD available",
    "threads": "threads",
    "compiler": "compiler",
    "cflags": "C flags",
    "numpy": "NumPy (baseline)",
}


def fmt_time(s):
    for unit, f in (("s", 1.0), ("ms", 1e3), ("&micro;s", 1e6), ("ns", 1e9)):
        if s * f >= 1:
            return "%.3g %s" % (s * f, unit)
    return "%.3g s" % s


def fmt_bytes(n):
    try:
        n = float(n)
    except (TypeError, ValueError):
        return str(n)
    return "%.1f GiB" % (n / 2**30) if n >= 2**30 else "%d B" % n


def fmt_size(n):
    try:
        n = int(n)
    except (TypeError, ValueError):
        return str(n)
    for unit, f in (("MiB", 2**20), ("KiB", 2**10)):
        if (n >= f and n % (f // 4 or 1) == 0) or n >= 16 * f:
            return "%.3g %s" % (n / f, unit)
    return "%d B" % n


def _num(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


def result_value(data, name, select=None, param_names=None):
    """The value asv stored for benchmark `name` in one results file, or None: the first finite
    one, or with `select` ({param name: value repr}) the one of that parameter combination."""
    row = data.get("results", {}).get(name)
    if not row:
        return None
    cols = data.get("result_columns") or ["result"]
    res = (
        row[cols.index("result")] if "result" in cols and len(row) > cols.index("result") else None
    )
    if select is not None:
        ip = cols.index("params") if "params" in cols else None
        params = row[ip] if ip is not None and len(row) > ip else None
        if not isinstance(res, list) or not params or not param_names:
            return None
        try:
            want = [select[n] for n in param_names]
        except KeyError:
            return None
        for k, combo in enumerate(itertools.product(*params)):
            if list(combo) == want:
                return _num(res[k]) if k < len(res) else None
        return None
    if isinstance(res, list):
        vals = [_num(v) for v in res if _num(v) is not None]
        return vals[0] if vals else None
    return _num(res)


def benchmark_param_names(results_dir):
    """{benchmark: param_names} from asv's <results_dir>/benchmarks.json."""
    try:
        with open(os.path.join(results_dir, "benchmarks.json"), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return {k: v.get("param_names") or [] for k, v in data.items() if isinstance(v, dict)}


PROVENANCE = "bench_provenance.BuildInfo.track_threads"
PROVENANCE_KEYS = ["simd", "simd_available", "compiler", "cflags", "threads", "raptors", "numpy"]


def provenance_param_names(results_dir):
    """param_names of the provenance benchmark, from asv's <results_dir>/benchmarks.json."""
    try:
        with open(os.path.join(results_dir, "benchmarks.json"), encoding="utf-8") as f:
            names = json.load(f)[PROVENANCE]["param_names"]
        if isinstance(names, list) and names:
            return names
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return PROVENANCE_KEYS


def _unrepr(v):
    try:
        return ast.literal_eval(v) if isinstance(v, str) else v
    except (ValueError, SyntaxError):
        return v


def is_quick(data):
    """True if the run was `asv run --quick` (make bench QUICK=1): time_raptors timed once."""
    row = (data.get("results") or {}).get(CLASS + ".time_raptors")
    cols = data.get("result_columns") or []
    if not row:
        return False
    st = dict(zip(cols, row))
    return st.get("stats_repeat") == [1] and st.get("stats_number") == [1]


def load_build_info(data, param_names=PROVENANCE_KEYS):
    """The build a results file was measured with.

    benchmarks/bench_provenance.py records raptors.build_info() of the build asv installed as the
    parameter values of bench_provenance.BuildInfo.track_threads (one value per parameter), so
    they are stored in the results file itself, in its "params" column (as repr strings).
    Also shown: the NumPy version of the asv environment (matrix) and RAPTORS_* env vars.
    """
    info = {}
    row = (data.get("results") or {}).get(PROVENANCE)
    cols = data.get("result_columns") or []
    if row and "params" in cols and len(row) > cols.index("params"):
        params = row[cols.index("params")] or []
        for name, values in zip(param_names, params):
            if isinstance(values, list) and values:
                info[name] = _unrepr(values[0])
    numpy = (data.get("params") or {}).get("numpy")
    if numpy and "numpy" not in info:
        info["numpy"] = numpy
    for k, v in (data.get("env_vars") or {}).items():
        if k.startswith("RAPTORS_"):
            info.setdefault(k, v)
    return info


def collect(results_dir, index_json=None):
    """{machine: {"info": machine.json, "rows": [row per commit, oldest first]}}"""
    rev_of = {}
    if index_json and os.path.isfile(index_json):
        try:
            with open(index_json, encoding="utf-8") as f:
                idx = json.load(f)
            rev_of = {h: int(r) for r, h in idx.get("revision_to_hash", {}).items()}
        except (OSError, ValueError):
            pass
    machines = {}
    pnames = provenance_param_names(results_dir)
    bench_params = benchmark_param_names(results_dir)
    for mj in sorted(glob.glob(os.path.join(results_dir, "*", "machine.json"))):
        mdir = os.path.dirname(mj)
        try:
            with open(mj, encoding="utf-8") as f:
                minfo = json.load(f)
        except (OSError, ValueError):
            continue
        by_commit = {}
        for path in glob.glob(os.path.join(mdir, "*.json")):
            if os.path.basename(path) == "machine.json":
                continue
            try:
                with open(path, encoding="utf-8") as f:
                    data = json.load(f)
            except (OSError, ValueError):
                continue
            if not isinstance(data, dict) or "commit_hash" not in data:
                continue
            vals = {name: result_value(data, name) for name, _, _ in COLUMNS}
            if vals[HEADLINE] is None:
                continue
            ops = {
                op: result_value(data, bench, sel, bench_params.get(bench, list(_OP_PARAMS)))
                for op, bench, sel in OPERATIONS
            }
            h = data["commit_hash"]
            cols = data.get("result_columns") or []
            hrow = data["results"].get(HEADLINE) or []
            k = cols.index("started_at") if "started_at" in cols else -1
            started = hrow[k] if 0 <= k < len(hrow) and isinstance(hrow[k], (int, float)) else 0
            row = {
                "hash": h,
                "date": data.get("date") or 0,
                "rev": rev_of.get(h),
                "env": data.get("env_name", ""),
                "python": data.get("python", ""),
                "params": data.get("params", {}),
                "values": vals,
                "ops": ops,
                "started": started,
                "build": load_build_info(data, pnames),
                "quick": is_quick(data),
                "file": os.path.relpath(path, results_dir),
            }
            # Several envs/runs for one commit: keep the most recently run one.
            if h not in by_commit or started >= by_commit[h]["started"]:
                by_commit[h] = row
        rows = sorted(
            by_commit.values(),
            key=lambda r: (
                r["rev"] if r["rev"] is not None else float("inf"),
                r["date"],
                r["started"],
            ),
        )
        if rows:
            machines[minfo.get("machine", os.path.basename(mdir))] = {"info": minfo, "rows": rows}
    return machines


def svg_chart(rows, width=860, height=260, value=None, label="speedup per commit"):
    """Bars of the speedup per commit (oldest left) with a dashed NumPy-parity line at 1x.
    value(row): the number to draw (default: the headline); rows without one are left out."""
    value = value or (lambda r: r["values"][HEADLINE])
    rows = [r for r in rows if value(r) is not None]
    vals = [value(r) for r in rows]
    top = max(vals + [1.0]) * 1.15
    left, right, tpad, bpad = 48, 12, 14, 44
    pw, ph = width - left - right, height - tpad - bpad
    n = len(rows)
    slot = pw / max(n, 1)
    bw = max(2.0, min(60.0, slot * 0.7))
    y = lambda v: tpad + ph - ph * v / top  # noqa: E731
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" '
        'aria-label="%s">' % (width, height, html.escape(label))
    ]
    step = 0.5 if top <= 4 else (1 if top <= 10 else 5 if top <= 50 else 10)
    t = 0.0
    while t <= top:
        out.append(
            '<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e3e3e3"/>'
            % (left, width - right, y(t), y(t))
        )
        out.append(
            '<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#666">%g&times;</text>'
            % (left - 6, y(t) + 4, t)
        )
        t += step
    for i, r in enumerate(rows):
        v = value(r)
        x = left + slot * i + (slot - bw) / 2
        color = "#2c7fb8" if v >= 1 else "#d7301f"
        out.append(
            '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %.2fx</title></rect>'
            % (x, y(v), bw, tpad + ph - y(v), color, r["hash"][:8], v)
        )
        if n <= 40:
            out.append(
                '<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%.2f</text>'
                % (x + bw / 2, y(v) - 4, v)
            )
        if n <= 20 or i in (0, n - 1):
            out.append(
                '<text x="%.1f" y="%d" font-size="10" text-anchor="middle" '
                'font-family="monospace" fill="#444">%s</text>'
                % (x + bw / 2, height - bpad + 14, r["hash"][:8])
            )
    out.append(
        '<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#333" stroke-dasharray="5,4"/>'
        % (left, width - right, y(1.0), y(1.0))
    )
    out.append(
        '<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#333">NumPy = 1&times;</text>'
        % (width - right - 4, y(1.0) - 4)
    )
    out.append(
        '<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="#666">commits, oldest &rarr; newest</text>'
        % (left + pw / 2, height - 6)
    )
    out.append("</svg>")
    return "\n".join(out)


def _date(ms):
    if not ms:
        return ""
    return datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"
    )


def _kv_table(pairs):
    cells = "".join(
        "<tr><th>%s</th><td>%s</td></tr>"
        % (
            html.escape(str(k)),
            html.escape(", ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)),
        )
        for k, v in pairs
    )
    return '<table class="kv">%s</table>' % cells


def _fmt_speedup(v):
    return "%.2f&times;" % v if v is not None else "&ndash;"


def operations_html(rows):
    """Each operation's headline speedup: the latest value and its change, a small bar chart per
    operation, and a table per commit (newest first)."""
    e = html.escape
    present = [
        (op, bench)
        for op, bench, _sel in OPERATIONS
        if any(r["ops"].get(op) is not None for r in rows)
    ]
    if not present:
        return (
            '<p class="muted">No per-operation results yet (bench_ops.*Speedup): run '
            "<code>make bench</code>.</p>"
        )
    last = rows[-1]
    prev = rows[-2] if len(rows) > 1 else None
    cards, charts = [], []
    for op, bench in present:
        v = last["ops"].get(op)
        pv = prev["ops"].get(op) if prev else None
        trend = ""
        if v is not None and pv:
            d = (v / pv - 1) * 100
            trend = '<span class="%s">%+.1f%%</span>' % ("up" if d >= 0 else "down", d)
        cards.append(
            '<div class="op"><div class="opname">%s</div><div class="opval%s">%s</div>'
            '<div class="muted">%s</div>%s</div>'
            % (
                e(op),
                "" if v is None or v >= 1 else " slower",
                _fmt_speedup(v),
                '<a href="index.html#%s">%s</a>' % (e(bench), e(bench)),
                trend,
            )
        )
        charts.append(
            '<div class="opchart"><div class="opname">%s</div>%s</div>'
            % (
                e(op),
                svg_chart(
                    rows,
                    width=420,
                    height=170,
                    value=lambda r, op=op: r["ops"].get(op),
                    label="%s speedup per commit" % op,
                ),
            )
        )
    head = "".join("<th>%s</th>" % e(op) for op, _b in present)
    body = "".join(
        "<tr><td><code>%s</code></td><td>%s</td>%s</tr>"
        % (
            e(r["hash"][:8]),
            e(_date(r["date"])),
            "".join("<td>%s</td>" % _fmt_speedup(r["ops"].get(op)) for op, _b in present),
        )
        for r in reversed(rows)
    )
    return (
        '<div class="ops">%s</div><div class="opcharts">%s</div>'
        '<table class="grid"><tr><th>commit</th><th>commit date</th>%s</tr>%s</table>'
        % ("".join(cards), "".join(charts), head, body)
    )


def machine_anchor(name):
    return "machine-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in str(name))


def machine_graph_link(name):
    """asv's headline graph with this machine selected (asv reads params from the URL hash)."""
    return "index.html#%s?machine=%s" % (HEADLINE, urllib.parse.quote(str(name)))


def machines_html(machines):
    """The machine types present (tools/bench/machine.py names each after its processor type),
    each with its latest headline speedup: pick one to see only its history."""
    e = html.escape
    rows = []
    for mname, m in machines.items():
        r, info = m["rows"], m["info"]
        v = r[-1]["values"][HEADLINE]
        rows.append(
            '<tr><td><a href="#%s"><b>%s</b></a></td><td>%s</td><td>%d</td>'
            "<td><code>%s</code> &ndash; <code>%s</code></td><td>%s</td>"
            '<td><a href="%s">interactive graph</a></td></tr>'
            % (
                e(machine_anchor(mname)),
                e(mname),
                e(str(info.get("cpu", ""))),
                len(r),
                e(r[0]["hash"][:8]),
                e(r[-1]["hash"][:8]),
                _fmt_speedup(v),
                e(machine_graph_link(mname)),
            )
        )
    return (
        '<section id="machines"><h2>Machine types</h2>'
        '<p class="muted">One history per processor type (vendor, microarchitecture or '
        "family/model, CPUs), whatever host measured it. Pick one to see only its history; "
        '<a href="#machines">all machines</a>.</p>'
        '<table class="grid"><tr><th>machine</th><th>processor</th><th>commits</th>'
        "<th>first &ndash; latest</th><th>latest speedup</th><th></th></tr>%s</table></section>"
        % "".join(rows)
    )


def render(machines, project="Raptors", offline=None, generated=None):
    e = html.escape
    graph_link = "index.html#" + HEADLINE
    parts = []
    if not machines:
        parts.append(
            '<p class="empty">No results for <code>%s</code> yet. Run <code>make bench</code>, '
            "then <code>make publish</code>.</p>" % e(HEADLINE)
        )
    else:
        parts.append(machines_html(machines))
    for mname, m in machines.items():
        rows, info = m["rows"], m["info"]
        last = rows[-1]
        v = last["values"][HEADLINE]
        prev = rows[-2]["values"][HEADLINE] if len(rows) > 1 else None
        trend = ""
        if prev:
            d = (v / prev - 1) * 100
            trend = '<span class="%s">%+.1f%% vs previous commit %s</span>' % (
                "up" if d >= 0 else "down",
                d,
                e(rows[-2]["hash"][:8]),
            )
        verdict = (
            "Raptors is %.2f&times; faster than NumPy" % v
            if v >= 1
            else "Raptors is %.2f&times; slower than NumPy" % (1 / v if v else float("inf"))
        )
        machine_pairs = [
            ("machine", info.get("machine", mname)),
            ("cpu", info.get("cpu", "")),
            ("cores", info.get("num_cpu", "")),
            ("ram", fmt_bytes(info.get("ram", ""))),
            ("os", info.get("os", "")),
            ("arch", info.get("arch", "")),
            ("python", last["python"]),
            ("asv environment", last["env"]),
        ]
        b = last["build"]
        build_pairs = [(k, b[k]) for k in BUILD_KEYS if k in b and b[k] not in (None, "")]
        build_pairs += [(k, b[k]) for k in sorted(b) if k not in BUILD_KEYS]
        build_pairs = [(BUILD_LABELS.get(k, k), v) for k, v in build_pairs]
        build_html = (
            _kv_table(build_pairs)
            if build_pairs
            else '<p class="muted">The benchmarks recorded no build info for this commit.</p>'
        )
        head_cells = "".join(
            "<th>%s</th>" % lbl
            for name, lbl, _f in COLUMNS
            if any(r["values"][name] is not None for r in rows)
        )
        body = []
        for r in reversed(rows):
            cells = []
            for name, _, f in COLUMNS:
                if not any(rr["values"][name] is not None for rr in rows):
                    continue
                val = r["values"][name]
                cells.append("<td>%s</td>" % (f(val) if val is not None else "&ndash;"))
            simd = r["build"].get("simd", "")
            body.append(
                "<tr><td><code>%s</code></td><td>%s</td><td>%s</td>%s<td>%s</td></tr>"
                % (
                    e(r["hash"][:8]),
                    e(_date(r["date"])),
                    e(str(simd)),
                    "".join(cells),
                    '<span class="quick">quick</span>' if r["quick"] else "full",
                )
            )
        parts.append(
            """
<section class="machine" id="%(anchor)s">
  <h2>float32 scale, 2048&times;2048 &mdash; on <em>%(mname)s</em></h2>
  <p class="muted">%(cpu)s &middot; %(n)d commit(s) measured &middot;
    <a href="%(mgraph)s">interactive graph for this machine</a></p>
  <div class="headline">
    <div class="big%(slower)s">%(v).2f&times;</div>
    <div class="what">%(verdict)s<br>
      <span class="muted">%(bench)s at commit <code>%(hash)s</code> (%(date)s)</span><br>%(trend)s%(quick)s</div>
  </div>
  %(chart)s
  <h3 id="operations">Every operation: speedup over NumPy per commit (%(ops_what)s)</h3>
  %(operations)s
  <div class="cols">
    <div><h3>Machine</h3>%(machine)s</div>
    <div><h3>Build (commit <code>%(hash)s</code>)</h3>%(build)s</div>
  </div>
  <h3>Per commit (newest first)</h3>
  <table class="grid"><tr><th>commit</th><th>commit date</th><th>SIMD</th>%(head)s<th>run</th></tr>
  %(body)s</table>
</section>"""
            % dict(
                quick='<br><span class="quick">quick (smoke) run: measured once, not a reliable number '
                "&mdash; run <code>make bench</code> for a full one</span>"
                if last["quick"]
                else "",
                mname=e(mname),
                anchor=e(machine_anchor(mname)),
                cpu=e(str(info.get("cpu", ""))),
                n=len(rows),
                mgraph=e(machine_graph_link(mname)),
                v=v,
                verdict=verdict,
                slower="" if v >= 1 else " slower",
                bench=e(HEADLINE),
                hash=e(last["hash"][:8]),
                date=e(_date(last["date"])),
                trend=trend,
                chart=svg_chart(rows),
                ops_what=OPERATIONS_WHAT,
                operations=operations_html(rows),
                machine=_kv_table(machine_pairs),
                build=build_html,
                head=head_cells,
                body="\n".join(body),
            )
        )
    note = ""
    if offline is False:
        note = (
            '<p class="warn">The interactive dashboard could not be made self-contained at publish '
            "time: its graphs need internet access (see the <code>make publish</code> output).</p>"
        )
    return """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>%(project)s &mdash; speedup over NumPy</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
 header{background:#24323f;color:#fff;padding:14px 28px}
 header a{color:#9cd3ff} header h1{margin:0;font-size:22px}
 main{padding:8px 28px 40px;max-width:1000px}
 .headline{display:flex;align-items:center;gap:24px;margin:10px 0 6px}
 .big{font-size:64px;font-weight:700;color:#2c7fb8;line-height:1}
 .what{font-size:18px} .muted{color:#777;font-size:13px} .up{color:#1a9641} .down{color:#d7301f}
 .cols{display:flex;gap:40px;flex-wrap:wrap} .cols>div{flex:1 1 0;min-width:320px}
 table.kv td{word-break:break-word} .big.slower{color:#d7301f}
 table{border-collapse:collapse;font-size:13px} th,td{padding:3px 10px;text-align:left}
 table.kv th{color:#555;font-weight:600;white-space:nowrap;vertical-align:top} table.grid tr:nth-child(even){background:#f0f0f0}
 table.grid th{border-bottom:1px solid #aaa} section.machine{border-top:1px solid #ddd;margin-top:18px}
 main:has(section.machine:target) section.machine:not(:target){display:none}
 .quick{background:#fff3cd;color:#7a5b00;font-size:12px;padding:1px 5px;border-radius:3px}
 .warn{background:#fff3cd;border:1px solid #e0c36a;padding:8px} code{font-size:12px}
 .ops{display:flex;gap:18px;flex-wrap:wrap;margin:6px 0 10px} .op{min-width:120px}
 .opname{font-weight:600;font-size:14px} .opval{font-size:32px;font-weight:700;color:#2c7fb8}
 .opval.slower{color:#d7301f} .opcharts{display:flex;flex-wrap:wrap;gap:8px}
</style></head>
<body>
<header><h1>%(project)s: speedup over NumPy &mdash; the headline (float32 scale of a 2048&times;2048 array) and every operation</h1>
 <div>speedup = NumPy time / Raptors time (higher is better, 1&times; = parity) &middot;
 <a href="index.html">asv dashboard</a> &middot; <a href="%(graph)s">interactive speedup graph</a></div></header>
<main>%(note)s%(parts)s
<p class="muted">Generated %(generated)s from the asv results by tools/dashboard/overview.py.</p>
</main></body></html>
""" % dict(
        project=e(project),
        graph=e(graph_link),
        note=note,
        parts="\n".join(parts),
        generated=e(
            generated or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        ),
    )


def write_overview(html_dir, results_dir, project="Raptors", offline=None):
    machines = collect(results_dir, os.path.join(html_dir, "index.json"))
    path = os.path.join(html_dir, "raptors.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(machines, project=project, offline=offline))
    return path, machines


NAV_LINK = (
    '\t<li id="raptors-overview-nav"><a href="raptors.html" style="font-weight:bold">'
    "Raptors overview</a></li>\n"
)


def link_from_index(html_dir):
    """Add a 'Raptors overview' entry to the top navbar of asv's index.html (idempotent)."""
    index = os.path.join(html_dir, "index.html")
    with open(index, encoding="utf-8") as f:
        text = f.read()
    if 'id="raptors-overview-nav"' in text:
        return True
    anchor = '<li id="nav-li-"'
    i = text.find(anchor)
    if i < 0:  # unknown asv layout: put a plain link right after <body>
        j = text.find("<body>")
        if j < 0:
            return False
        j += len("<body>")
        text = (
            text[:j]
            + '\n<a id="raptors-overview-nav" href="raptors.html">Raptors overview</a>\n'
            + text[j:]
        )
    else:
        line_start = text.rfind("\n", 0, i) + 1
        text = text[:line_start] + NAV_LINK + text[line_start:]
    with open(index, "w", encoding="utf-8") as f:
        f.write(text)
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=None)
    ap.add_argument("--html-dir", default=None)
    ap.add_argument("--results-dir", default=None)
    a = ap.parse_args(argv)
    _, html_dir, results_dir = asv_dirs(a.config)
    path, _ = write_overview(a.html_dir or html_dir, a.results_dir or results_dir)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
