"""The GitHub Actions workflows cannot run here (no runner). What can be checked is: every command
a workflow runs is a make target of this repository (so the fleet runs what a developer runs),
and the fleet workflow measures on the three machine types and merges and publishes their results.
actionlint (`make lint-workflows`, part of `make lint`) checks the rest of the syntax and types.
"""

import glob
import os
import re
import shlex
import subprocess

import pytest

yaml = pytest.importorskip("yaml")  # PyYAML, installed with asv (the `bench` extra)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKFLOWS = sorted(glob.glob(os.path.join(REPO, ".github", "workflows", "*.y*ml")))
FLEET = os.path.join(REPO, ".github", "workflows", "bench.yml")


def make_targets():
    """Every explicit target of the Makefile (and mk/*.mk), from make's own database."""
    out = subprocess.run(
        ["make", "-pRrq", "-f", "Makefile", ":"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    targets, not_target = set(), False
    for line in out.splitlines():
        if line.startswith("# Not a target"):
            not_target = True
            continue
        m = re.match(r"^([^\s:=#%]+):(?!=)", line)
        if m:
            if not not_target:
                targets.add(m.group(1))
            not_target = False
    return targets


def steps(path):
    with open(path, encoding="utf-8") as f:
        wf = yaml.safe_load(f)
    for job_name, job in wf["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, step


def commands(run):
    """The commands of a `run:` block: its lines, without blank lines and comments."""
    for line in run.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def test_there_is_a_workflow():
    assert FLEET in WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=os.path.basename)
def test_every_command_is_a_make_target(path):
    targets = make_targets()
    assert {"test", "bench", "publish", "bench-merge"} <= targets  # the parse works
    seen = 0
    for job, step in steps(path):
        if "run" not in step:
            continue
        for cmd in commands(step["run"]):
            words = shlex.split(cmd)
            assert words[0] == "make", "%s: %r is not a make command" % (job, cmd)
            goals = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
            assert goals, "%s: %r names no target" % (job, cmd)
            for g in goals:
                assert g in targets, "%s: `make %s` is no target of the Makefile" % (job, g)
            seen += 1
    assert seen


def test_the_fleet_covers_three_machine_types_and_publishes_one_dashboard():
    with open(FLEET, encoding="utf-8") as f:
        wf = yaml.safe_load(f)
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "workflow_dispatch" in on and on["push"]["branches"] == ["main"]
    measure = wf["jobs"]["measure"]
    oses = [m["os"] for m in measure["strategy"]["matrix"]["include"]]
    assert any(o.startswith("ubuntu") and not o.endswith("-arm") for o in oses)  # x86-64 Linux
    assert any(o.startswith("ubuntu") and o.endswith("-arm") for o in oses)  # Arm64 Linux
    assert any(o.startswith("macos-") for o in oses)  # Apple silicon (macos-14 and later)
    runs = [s.get("run", "") for _j, s in steps(FLEET)]
    assert "make test" in runs and "make bench" in runs
    uses = [s.get("uses", "") for _j, s in steps(FLEET)]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    publish = wf["jobs"]["publish"]
    assert publish["needs"] == "measure"
    pruns = [s.get("run", "") for s in publish["steps"]]
    assert any(r.startswith("make bench-merge") for r in pruns) and "make publish" in pruns


def test_actionlint_is_part_of_make_lint():
    out = subprocess.run(
        ["make", "-n", "lint"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert "actionlint" in out.stdout, out.stdout + out.stderr
