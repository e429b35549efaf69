"""`asv publish` whose Regressions tab knows which way is better.

asv assumes every benchmark is lower-is-better (asv issue 1617: no flag for the opposite), so its
Regressions tab and feed list each *rise* of a speedup, a GB/s or a roofline fraction as a
regression, and never the drop that is one. This runs asv's own publish, in this process, with
the regression detection of the higher-is-better benchmarks (HIGHER_IS_BETTER, by name) done on
1 / value: a drop of the value is a rise of 1 / value, which asv's step detection
(asv.step_detect) then finds as it finds a slower time; the regression it records is turned back
into the benchmark's own values (before, best after, latest), so the tab shows e.g. a speedup
going from 2.0x to 1.5x (factor 0.75). Everything else -- times, peak memory, instruction counts,
the 16-element overhead ratio -- stays as asv computes it. The graphs are untouched.

    python tools/dashboard/asv_publish.py publish [asv publish arguments]

(tools/dashboard/publish.py, i.e. `make publish`, runs it.) Written against asv 0.6.x (pinned in
requirements/constraints.txt); tests/tools/test_dashboard.py publishes a faster and a slower result
set through it and checks the tab.
"""

from __future__ import annotations

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import higher_is_better


def _inverse(v):
    if v is None or not isinstance(v, (int, float)) or v != v or v <= 0 or math.isinf(v):
        return None
    return 1.0 / v


def _inverted_steps(graph):
    """Step detection (asv's own) on 1 / value of each series of the graph."""
    from asv import graph as asv_graph

    val = graph.get_data()
    if not val:
        return [[]] * max(graph.n_series or 1, 1)
    if graph.scalar_series:
        items = [[(x, _inverse(y), w) for x, y, w in val]]
    else:
        items = [[(v[0], _inverse(v[1][j]), v[2][j]) for v in val] for j in range(graph.n_series)]
    out = []
    for item in items:
        if all(y is None for _x, y, _w in item):
            out.append([])
        else:
            out.append(asv_graph._compute_graph_steps(item, reraise=True))
    return out


def patch():
    """Make asv's Regressions publisher read higher-is-better benchmarks upside down."""
    from asv.plugins import regressions as reg

    if getattr(reg, "_raptors_patched", False):
        return
    original_data = reg._GraphDataFilter.get_graph_data
    original_process = reg.Regressions._process_regression.__func__

    def get_graph_data(self, graph, benchmark):
        if not higher_is_better(benchmark["name"]):
            yield from original_data(self, graph, benchmark)
            return
        inverted = _inverted_steps(graph)
        for j, entry_name, _steps, threshold in original_data(self, graph, benchmark):
            start = self._get_start_revision(graph, benchmark, entry_name)
            steps = inverted[0 if j is None else j]
            yield j, entry_name, [s for s in steps if s[1] >= start], threshold

    def process_regression(cls, regressions, revision_to_hash, repo, all_params, graph_data, graph):
        n = len(regressions)
        original_process(cls, regressions, revision_to_hash, repo, all_params, graph_data, graph)
        for k in range(n, len(regressions)):
            name, path, params, j, last_v, best_v, jumps = regressions[k]
            if higher_is_better(name.split("(", 1)[0]):
                jumps = [(a, b, _inverse(v1), _inverse(v2)) for a, b, v1, v2 in jumps]
                regressions[k] = [name, path, params, j, _inverse(last_v), _inverse(best_v), jumps]

    reg._GraphDataFilter.get_graph_data = get_graph_data
    reg.Regressions._process_regression = classmethod(process_regression)
    reg._raptors_patched = True


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    patch()
    from asv.main import main as asv_main

    sys.argv = ["asv", *argv]
    return asv_main()


if __name__ == "__main__":
    sys.exit(main())
