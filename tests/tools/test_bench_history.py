"""The performance history kept in git (bench-results/, issue 17): what a fresh clone's
`make publish` draws without measuring anything.

- every machine directory names its processor type (tools/bench/machine.py), none the host;
- the headline has a history of at least ten commits on the development VM's type;
- every results file is of a commit of main that changed measured code (no holes: commits that
  change only docs, tests or results are never measured, they have their parent's build);
- the overview lists the machine types and lets a reader pick one.
"""

import glob
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "bench"))
sys.path.insert(0, os.path.join(REPO, "tools", "dashboard"))

import overview  # noqa: E402  tools/dashboard/overview.py
import run as bench_run  # noqa: E402  tools/bench/run.py

RESULTS = os.path.join(REPO, "bench-results")
DEV_VM = "amd-zen4-f25m17-2cpu"  # the development VM: AMD EPYC Zen 4, 2 vCPUs


def _git(*args):
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()


def machine_dirs():
    return sorted(os.path.dirname(p) for p in glob.glob(os.path.join(RESULTS, "*", "machine.json")))


needs_history = pytest.mark.skipif(
    not os.path.isdir(RESULTS), reason="no bench-results/ in this tree"
)


@needs_history
def test_every_machine_names_its_processor_type():
    dirs = machine_dirs()
    assert dirs
    for d in dirs:
        with open(os.path.join(d, "machine.json"), encoding="utf-8") as f:
            info = json.load(f)
        assert os.path.basename(d) == info["machine"]
        assert bench_run.identified(info), info
        for p in glob.glob(os.path.join(d, "*.json")):
            if p.endswith("machine.json"):
                continue
            with open(p, encoding="utf-8") as f:
                params = json.load(f)["params"]
            for k in ("machine", "cpu", "num_cpu", "os", "ram", "arch"):
                assert params.get(k) == info.get(k), (p, k)  # one series per machine type


@needs_history
def test_the_headline_has_a_history_on_the_development_vm_type():
    machines = overview.collect(RESULTS)
    assert DEV_VM in machines, sorted(machines)
    rows = machines[DEV_VM]["rows"]
    assert len(rows) >= 10, len(rows)
    assert all(r["values"][overview.HEADLINE] for r in rows)


@needs_history
def test_results_are_of_commits_of_main_that_changed_measured_code():
    """No holes: a commit that changes only docs, tests or results is never measured."""
    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=REPO, capture_output=True, text=True
    )
    if top.returncode != 0 or os.path.realpath(top.stdout.strip()) != os.path.realpath(REPO):
        # A copy of the tree without its history (an sdist, or `make test-arm64`'s snapshot
        # in .cache/arm64/src, where git would answer for the checkout around it).
        pytest.skip("not a git checkout of its own")
    if _git("rev-parse", "--is-shallow-repository") == "true":
        pytest.skip("a shallow clone")
    code = set(_git("rev-list", "--first-parent", "HEAD", "--", *bench_run.MEASURED_PATHS).split())
    for p in glob.glob(os.path.join(RESULTS, "*", "*.json")):
        if p.endswith("machine.json"):
            continue
        with open(p, encoding="utf-8") as f:
            h = json.load(f)["commit_hash"]
        r = subprocess.run(["git", "cat-file", "-e", h + "^{commit}"], cwd=REPO)
        if r.returncode != 0:
            continue  # measured on a commit this clone does not have (another branch)
        assert h in code, "%s: commit %s changes no measured code" % (p, h[:8])


@needs_history
def test_results_stay_small():
    """asv's JSON, a few tens of KB per commit and machine (the full suite ~35 KB)."""
    for p in glob.glob(os.path.join(RESULTS, "*", "*.json")):
        assert os.path.getsize(p) < 100_000, p


def _rows(n, machine):
    return {
        "info": {"machine": machine, "cpu": "X family 1 model %d, 2 CPUs" % n, "num_cpu": "2"},
        "rows": [
            {
                "hash": "%040x" % (i + 1),
                "date": 0,
                "rev": i,
                "env": "e",
                "python": "3.11",
                "params": {},
                "values": {
                    name: (1.5 if name == overview.HEADLINE else None)
                    for name, _l, _f in overview.COLUMNS
                },
                "ops": {},
                "started": 0,
                "build": {},
                "quick": False,
                "file": "x",
            }
            for i in range(n)
        ],
    }


def test_overview_lists_the_machine_types_and_lets_a_reader_pick_one():
    machines = {"amd-zen4-f25m17-2cpu": _rows(12, "amd-zen4-f25m17-2cpu")}
    machines["arm-neoverse-n2-4cpu"] = _rows(3, "arm-neoverse-n2-4cpu")
    page = overview.render(machines)
    assert '<section id="machines">' in page
    for name in machines:
        anchor = overview.machine_anchor(name)
        assert 'href="#%s"' % anchor in page and 'id="%s"' % anchor in page
        assert "index.html#%s?machine=%s" % (overview.HEADLINE, name) in page
    # picking one (its anchor) hides the others; each shows its headline speedup per commit
    assert "section.machine:not(:target){display:none}" in page
    assert page.count('aria-label="speedup per commit"') == 2
