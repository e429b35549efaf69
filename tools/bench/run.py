"""Run the asv suite safely: `make bench` and `make bench-history` call this.

    python tools/bench/run.py current [--quick]   the commit checked out (HEAD) -- or, when HEAD
                                                  changes no measured code, the newest commit
                                                  that did (HEAD's build is that commit's)
    python tools/bench/run.py history [-n N] [--every K] [--since REV] [--quick]
                                                  the last N commits of main that changed
                                                  measured code (every K-th of them; none older
                                                  than REV), skipping commits already measured
    python tools/bench/run.py merge RESULTS [--as MACHINE]
                                                  another results directory (another machine's,
                                                  a CI runner's) into ours
    python tools/bench/run.py code-commit [REV]   which commit `current` would measure

What it adds to a plain `asv run`:

* The results directory (asv.conf.json's results_dir) is checked first: a missing one is created,
  one that cannot be created or written stops the run with a clear message before anything runs.
* asv runs into a temporary copy of the results directory; only when it finished are the new
  results merged back. A value that failed (a broken benchmark, a commit that does not build) never
  replaces a value measured before for the same commit and benchmark, and an interrupted or
  crashed run leaves the results exactly as they were.
* A commit that does not build is recorded as failed (asv's way: every benchmark "failed"), is
  named in a clear message, and does not stop a history run; `asv publish` shows it as missing.
* The machine is named after its processor type, not the host (tools/bench/machine.py, e.g.
  amd-zen4-f25m17-2cpu): registered in asv's machine file and passed as `asv run --machine`, so a
  fresh clone needs no questions answered, the same type merges across hosts and different types
  never share a series. `merge` refuses a machine directory that does not name its processor
  type (asv's default, the host name: `vm`) unless told which type it is (`--as`).
* Measured code is MEASURED_PATHS (libraptors/, raptors/, benchmarks/, ...): a commit that
  changes nothing there (docs, tests, results) has the build of the commit before it, needs no
  measurement of its own and is never one: `current` measures the newest commit that changed
  measured code, `history` counts and measures only such commits.
* The results directory is committed to git (asv.conf.json's results_dir, bench-results/): its
  benchmarks.json is rewritten only when the suite itself changed, not for another machine's
  build parameters (bench_provenance's), so results from any machine merge without conflicts.

Exit status: 0 all measured; 3 a commit did not build; 2 some benchmark failed; 1 asv itself
failed (nothing merged), or merge refused a directory; 4 the results directory is unusable
(nothing run).
"""

import argparse
import filecmp
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREFIX = "[bench]"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import machine as machine_id  # noqa: E402  tools/bench/machine.py

# What a commit's measurement depends on: the library and package asv builds from the commit
# (and the Makefile and build hook that compile it), and the suite. A commit that changes none of
# these (docs, tests, results, other tools) measures as the commit before it.
MEASURED_PATHS = ["libraptors", "raptors", "benchmarks", "Makefile", "hatch_build.py"]
PROVENANCE_PREFIX = "bench_provenance."


def say(msg, err=False):
    print("%s %s" % (PREFIX, msg), file=sys.stderr if err else sys.stdout, flush=True)


def load_conf(path):
    from asv import util  # asv's own reader: // comments, trailing commas

    return util.load_json(path, js_comments=True)


def conf_dirs(conf, base):
    def ab(key, default):
        return os.path.normpath(os.path.join(base, conf.get(key, default)))

    return {
        "results_dir": ab("results_dir", "results"),
        "html_dir": ab("html_dir", "html"),
        "env_dir": ab("env_dir", "env"),
        "benchmark_dir": ab("benchmark_dir", "benchmarks"),
        "repo": ab("repo", "."),
    }


# ---- the results directory ----------------------------------------------------------------
def check_results_dir(results_dir):
    """Create results_dir if missing; return an error message if it cannot be used, else None."""
    if not os.path.isdir(results_dir):
        if os.path.exists(results_dir):
            return (
                "asv results directory %s exists but is not a directory; move it away "
                "(or set results_dir in asv.conf.json)" % results_dir
            )
        try:
            os.makedirs(results_dir)
        except OSError as e:
            return (
                "asv results directory %s is missing and cannot be created: %s. Create it "
                "(and make it writable) or set results_dir in asv.conf.json"
                % (results_dir, e.strerror or e)
            )
        say("asv results directory %s was missing: created it (no previous results)" % results_dir)
        return None
    bad = [
        p
        for p in [results_dir] + [os.path.join(results_dir, d) for d in os.listdir(results_dir)]
        if os.path.isdir(p) and not os.access(p, os.W_OK | os.X_OK)
    ]
    for root, _dirs, files in os.walk(results_dir):
        bad += [
            os.path.join(root, f)
            for f in files
            if f.endswith(".json") and not os.access(os.path.join(root, f), os.W_OK)
        ]
    if not os.access(results_dir, os.R_OK | os.X_OK):
        bad.insert(0, results_dir)
    if bad:
        return (
            "asv results directory %s is not writable (%s%s). Nothing was run and no result "
            "was touched; fix the permissions (e.g. `chmod -R u+w %s`) or set results_dir "
            "in asv.conf.json"
            % (results_dir, ", ".join(bad[:3]), ", ..." if len(bad) > 3 else "", results_dir)
        )
    # A real write, as the permission bits may lie (read-only mounts, ACLs, root squash).
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=results_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        return (
            "asv results directory %s is not writable: %s. Nothing was run and no result "
            "was touched" % (results_dir, e.strerror or e)
        )
    return None


# ---- merging a run's results back ---------------------------------------------------------
def _missing(x):
    """Not measured: asv writes None for a failure and NaN for a skip."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def _broken(v):
    """Failed, not skipped: None (in any parameter combination); asv writes NaN for a skip."""
    return v is None or (isinstance(v, list) and any(x is None for x in v))


def _failed(v):
    return _missing(v) or (isinstance(v, list) and all(_missing(x) for x in v))


def merge_file(old, new, prefer_old=False):
    """Merge one asv results file (api_version 2): new values win, except that a failed value
    never replaces a measured one -- and with prefer_old (a QUICK run), no new value replaces a
    measured one: the quick run only fills holes. Returns (merged dict, values kept from old)."""
    cols = new.get("result_columns")
    if cols != old.get("result_columns") or "result" not in (cols or []):
        # Different asv formats: keep the file that has more measured values.
        def count(d):
            c = d.get("result_columns") or []
            i = c.index("result") if "result" in c else 0
            return sum(
                not _failed(r[i] if len(r) > i else None) for r in d.get("results", {}).values()
            )

        return (new, 0) if count(new) >= count(old) else (old, count(old))
    ir, ip = cols.index("result"), cols.index("params") if "params" in cols else None
    merged = dict(new)
    merged["results"] = dict(new.get("results", {}))
    kept = 0
    for name, orow in old.get("results", {}).items():
        ores = orow[ir] if len(orow) > ir else None
        if _failed(ores):
            continue
        nrow = merged["results"].get(name)
        nres = nrow[ir] if nrow is not None and len(nrow) > ir else None
        if nrow is None or _failed(nres) or prefer_old:
            merged["results"][name] = orow  # failed (or not run) now, measured before
            kept += 1
            continue
        same_params = ip is not None and len(orow) > ip and len(nrow) > ip and orow[ip] == nrow[ip]
        if (
            same_params
            and isinstance(ores, list)
            and isinstance(nres, list)
            and len(ores) == len(nres)
        ):
            # Parameterized: keep the old value of each combination that failed now.
            holes = [
                i for i, (o, n) in enumerate(zip(ores, nres)) if _missing(n) and not _missing(o)
            ]
            if holes:
                row = list(nrow) + [None] * (len(cols) - len(nrow))
                orow2 = list(orow) + [None] * (len(cols) - len(orow))
                for c, key in enumerate(cols):
                    if key in ("params", "version", "started_at", "duration", "profile"):
                        continue
                    oc, nc = orow2[c], row[c]
                    if isinstance(oc, list) and len(oc) == len(ores):
                        nc = list(nc) if isinstance(nc, list) else [None] * len(ores)
                        for i in holes:
                            nc[i] = oc[i]
                        row[c] = nc
                while row and row[-1] is None:
                    row.pop()
                merged["results"][name] = row
                kept += len(holes)
    return merged, kept


def _umask_mode():
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _atomic_write_json(path, data):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, separators=(",", ":"))
            f.write("\n")
        os.chmod(tmp, _umask_mode())  # mkstemp makes 0600; results files are ordinary files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _atomic_copy(src, dst):
    d = os.path.dirname(dst)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def merge_results(
    tmp_dir, results_dir, snapshot, keep_benchmark_list=False, prefer_old=False, skip=()
):
    """Copy what the run wrote in tmp_dir into results_dir. `snapshot` maps relative path ->
    (size, mtime) of tmp_dir's files before the run: unchanged files are not touched; machine
    directories named in `skip` are left out. Returns the list of merged relative paths."""
    merged = []
    for root, dirs, files in os.walk(tmp_dir):
        if root == tmp_dir:
            dirs[:] = [d for d in dirs if d not in skip]
        for f in sorted(files):
            if not f.endswith(".json"):
                continue
            src = os.path.join(root, f)
            rel = os.path.relpath(src, tmp_dir)
            st = os.stat(src)
            if snapshot.get(rel) == (st.st_size, st.st_mtime_ns):
                continue
            dst = os.path.join(results_dir, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if (
                f == "benchmarks.json"
                and os.path.exists(dst)
                and (keep_benchmark_list or same_suite(src, dst))
            ):
                continue  # another machine's list, or only another build's provenance
            if os.path.exists(dst) and filecmp.cmp(src, dst, shallow=False):
                continue  # the same file (a results directory merged again): leave it as it is
            if f in ("machine.json", "benchmarks.json") or not os.path.exists(dst):
                _atomic_copy(src, dst)
            else:
                with open(src, encoding="utf-8") as fh:
                    new = json.load(fh)
                try:
                    with open(dst, encoding="utf-8") as fh:
                        old = json.load(fh)
                except (OSError, ValueError):
                    old = {}
                data, kept = merge_file(old, new, prefer_old) if isinstance(old, dict) else (new, 0)
                if json.dumps(data, sort_keys=True) == json.dumps(old, sort_keys=True):
                    continue  # nothing new (the committed file stays byte for byte)
                _atomic_write_json(dst, data)
                if kept:
                    say(
                        "%s: kept %d earlier value(s) where this run %s"
                        % (rel, kept, "was quick" if prefer_old else "failed")
                    )
            merged.append(rel)
    return merged


def _suite(path):
    """benchmarks.json without the build parameters bench_provenance records (they differ from
    machine to machine and compiler to compiler; the suite does not)."""
    with open(path, encoding="utf-8") as fh:
        d = json.load(fh)
    for name, b in d.items():
        if name.startswith(PROVENANCE_PREFIX) and isinstance(b, dict):
            b["params"] = None
    return d


def same_suite(a, b):
    """True if two benchmarks.json files describe the same suite (names, code, versions,
    parameters), whatever build each was discovered with."""
    try:
        return _suite(a) == _suite(b)
    except (OSError, ValueError):
        return False


# ---- machine identity ---------------------------------------------------------------------
NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]*-[0-9]+cpu")


def identified(info):
    """True if a machine.json names its processor type the way tools/bench/machine.py does:
    <...>-<N>cpu, with N = num_cpu and the processor described in `cpu`. asv's default (the
    host name, e.g. `vm`, cpu "AMD EPYC") is not."""
    name = str(info.get("machine", ""))
    n = str(info.get("num_cpu", ""))
    return bool(NAME_RE.fullmatch(name)) and name.endswith("-%scpu" % n) and bool(info.get("cpu"))


def register_machine(info=None):
    """This machine's identity (tools/bench/machine.py) in asv's machine file (~/.asv-machine.json),
    so that `asv run --machine NAME` needs no questions. Returns the name."""
    from asv.machine import MachineCollection

    info = info or machine_id.identify()
    MachineCollection.save(info["machine"], dict(info))
    return info["machine"]


def relabel(src_dir, dst_dir, info):
    """Copy a machine directory's results under another machine identity (`merge --as`): the
    machine fields of every results file's params become info's."""
    os.makedirs(dst_dir, exist_ok=True)
    n = 0
    for f in sorted(os.listdir(src_dir)):
        if not f.endswith(".json") or f == "machine.json":
            continue
        with open(os.path.join(src_dir, f), encoding="utf-8") as fh:
            d = json.load(fh)
        params = dict(d.get("params") or {})
        for k in ("machine", "cpu", "arch", "num_cpu", "os", "ram"):
            params[k] = info.get(k, "")
        d["params"] = params
        _atomic_write_json(os.path.join(dst_dir, f), d)
        n += 1
    _atomic_write_json(os.path.join(dst_dir, "machine.json"), dict(info, version=1))
    return n


def prepare_merge(src, results_dir, as_machine=None):
    """Check the machine directories of results dir `src` before a merge: those that name their
    processor type are merged as they are; one that does not (asv's host name, `vm`) is refused,
    unless `as_machine` says which type measured it -- then a relabelled copy is merged.
    Returns (directory to merge, refused machine names, temporary dir to remove or None)."""
    refused, relabelled = [], []
    for d in sorted(os.listdir(src)):
        mj = os.path.join(src, d, "machine.json")
        if not os.path.isfile(mj):
            continue
        try:
            with open(mj, encoding="utf-8") as fh:
                info = json.load(fh)
        except (OSError, ValueError):
            info = {}
        if not identified(info):
            (relabelled if as_machine else refused).append(d)
    if not relabelled:
        return src, refused, None
    target = os.path.join(results_dir, as_machine, "machine.json")
    if os.path.isfile(target):
        with open(target, encoding="utf-8") as fh:
            tinfo = json.load(fh)
    elif as_machine == machine_id.identify()["machine"]:
        tinfo = machine_id.identify()
    else:
        raise SystemExit(
            "%s --as %s: no such machine in %s, and it is not this machine (%s)"
            % (PREFIX, as_machine, results_dir, machine_id.identify()["machine"])
        )
    work = tempfile.mkdtemp(prefix="raptors-merge-")
    for d in sorted(os.listdir(src)):
        p = os.path.join(src, d)
        if d in relabelled:
            n = relabel(p, os.path.join(work, as_machine), tinfo)
            say("%s: %d results file(s) relabelled as machine %s" % (d, n, as_machine))
        elif os.path.isdir(p):
            shutil.copytree(p, os.path.join(work, d), dirs_exist_ok=True)
        elif d.endswith(".json"):
            shutil.copy(p, os.path.join(work, d))
    return work, [], work


# ---- which commits --------------------------------------------------------------------------
def code_commit(rev="HEAD"):
    """The newest commit, on rev's first-parent line, that changed measured code: rev itself
    unless rev changes only docs, tests or results. Its build is rev's."""
    h = _git("rev-list", "--first-parent", "-n", "1", rev, "--", *MEASURED_PATHS)
    return h or _git("rev-parse", rev)


def code_commits(branch, n=None, every=1, since=None):
    """The last n commits of branch (first-parent) that changed measured code, newest first;
    every `every`-th of them (the newest always); none older than `since`."""
    out = subprocess.run(
        ["git", "rev-list", "--first-parent", branch, "--", *MEASURED_PATHS],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(
            "%s cannot list the commits of %s: %s" % (PREFIX, branch, out.stderr.strip())
        )
    hashes = out.stdout.split()
    if since:
        base = _git("rev-parse", since)
        if base in hashes:
            hashes = hashes[: hashes.index(base) + 1]
        else:
            keep = []
            for h in hashes:
                r = subprocess.run(["git", "merge-base", "--is-ancestor", base, h], cwd=REPO_ROOT)
                if r.returncode != 0:
                    break
                keep.append(h)
            hashes = keep
    hashes = hashes[:: max(1, every)]
    return hashes[:n] if n else hashes


def _snapshot(d):
    snap = {}
    for root, _dirs, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            st = os.stat(p)
            snap[os.path.relpath(p, d)] = (st.st_size, st.st_mtime_ns)
    return snap


# ---- reading what a run produced ----------------------------------------------------------
def summarize(tmp_dir, snapshot):
    """(commits whose every benchmark failed, {commit: [failed benchmark names]}) of the files
    the run wrote."""
    unbuilt, partial = [], {}
    for root, _dirs, files in os.walk(tmp_dir):
        for f in files:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, tmp_dir)
            if f in ("machine.json", "benchmarks.json") or not f.endswith(".json"):
                continue
            st = os.stat(p)
            if snapshot.get(rel) == (st.st_size, st.st_mtime_ns):
                continue
            try:
                with open(p, encoding="utf-8") as fh:
                    d = json.load(fh)
            except (OSError, ValueError):
                continue
            cols = d.get("result_columns") or ["result"]
            i = cols.index("result") if "result" in cols else 0
            rows = d.get("results", {})
            # asv writes None for a failure, NaN for a skip (an operation an older commit lacks).
            failed = [n for n, r in rows.items() if _broken(r[i] if len(r) > i else None)]
            commit = d.get("commit_hash", "?")[:8]
            if rows and len(failed) == len(rows):
                unbuilt.append(commit)
            elif failed:
                partial[commit] = sorted(failed)
    return unbuilt, partial


DISCOVERY_FAILED = "Failed to build the project and import the benchmark suite"


def record_unbuilt(config_path, commits, regex=None, machine_name=None):
    """asv stops before running anything when the commit it discovers the suite with does not
    build (a `make bench` of a broken HEAD). Record such commits as asv records a commit that
    does not build in a longer run: every benchmark failed, using the benchmark list of an
    earlier run (results_dir/benchmarks.json). Returns the number of files written."""
    from asv import environment, util
    from asv.benchmarks import Benchmarks
    from asv.config import Config
    from asv.machine import Machine
    from asv.repo import get_repo
    from asv.results import Results
    from asv.runner import skip_benchmarks

    conf = Config.load(config_path)
    try:
        benchmarks = Benchmarks.load(conf, regex=regex)
    except util.UserError:
        return 0
    machine = Machine.load(interactive=False, machine_name=machine_name)
    machine.save(conf.results_dir)
    repo = get_repo(conf)
    n = 0
    for env in environment.get_environments(conf, None):
        for h in commits:
            params = dict(machine.__dict__)
            params["python"] = env.python
            params.update(env.requirements)
            result = Results(
                params, env.requirements, h, repo.get_date(h), env.python, env.name, env.env_vars
            )
            result.load_data(conf.results_dir)
            skip_benchmarks(benchmarks, env, results=result)
            result.save(conf.results_dir)
            n += 1
    return n


def run_asv(args, env):
    """Run asv, passing its output through; return (exit code, output text)."""
    say(" ".join(args))
    proc = subprocess.Popen(
        args,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        lines.append(line)
    return proc.wait(), "".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["current", "history", "merge", "code-commit"])
    ap.add_argument("tmp", nargs="?", help="merge: the results dir to merge; code-commit: REV")
    ap.add_argument(
        "-n", type=int, default=20, help="history: how many commits that changed measured code"
    )
    ap.add_argument("--every", type=int, default=1, help="history: every K-th of those commits")
    ap.add_argument("--since", default=None, help="history: no commit older than REV")
    ap.add_argument(
        "--as",
        dest="as_machine",
        default=None,
        help="merge: the machine type of "
        "results whose machine does not name its processor type (e.g. `vm`)",
    )
    ap.add_argument("--branch", default=None, help="history: branch (default: asv.conf.json's)")
    ap.add_argument("--quick", action="store_true", help="every benchmark once (smoke check)")
    ap.add_argument("--config", default=os.path.join(REPO_ROOT, "asv.conf.json"))
    ap.add_argument("--bench", default=None, help="only benchmarks matching this regex")
    ap.add_argument("--keep-tmp", action="store_true", help="keep the temporary results dir")
    a, extra = ap.parse_known_args(argv)

    if a.what == "code-commit":
        print(code_commit(a.tmp or "HEAD"))
        return 0

    config = os.path.abspath(a.config)
    conf = load_conf(config)
    dirs = conf_dirs(conf, os.path.dirname(config))
    results_dir = dirs["results_dir"]

    err = check_results_dir(results_dir)
    if err:
        say(err, err=True)
        return 4

    if a.what == "merge":
        if not a.tmp or not os.path.isdir(a.tmp):
            say(
                "merge: give the results directory to merge (e.g. another machine's .asv/results)",
                err=True,
            )
            return 1
        src, refused, work = prepare_merge(a.tmp, results_dir, a.as_machine)
        try:
            skip = set(refused)
            merged = [
                m for m in merge_results(src, results_dir, {}, keep_benchmark_list=True, skip=skip)
            ]
        finally:
            if work:
                shutil.rmtree(work, ignore_errors=True)
        say("merged %d file(s) into %s" % (len(merged), results_dir))
        if refused:
            say(
                "NOT merged: machine(s) %s -- named after the host, not the processor type, so "
                "results of different processors may be mixed in them. If you know which type "
                "measured them, merge them with `--as <machine>` (e.g. --as %s, this machine)"
                % (", ".join(refused), machine_id.identify()["machine"]),
                err=True,
            )
            return 1
        return 0

    env = dict(os.environ)
    if a.quick:
        env["RAPTORS_BENCH_QUICK"] = "1"
    if env.pop("RAPTORS_LIBRARY", None):
        say("note: RAPTORS_LIBRARY is ignored here: asv measures the library each commit builds")
    for k in ("RAPTORS_NUM_THREADS", "RAPTORS_SIMD"):
        if env.get(k):
            say(
                "note: %s=%s applies to the benchmarks (bench_provenance records what ran)"
                % (k, env[k])
            )

    try:
        a.machine = register_machine()
    except Exception as e:
        say("cannot register the machine with asv: %s: %s" % (type(e).__name__, e), err=True)
        return 1
    say("machine: %s (%s)" % (a.machine, machine_id.identify()["cpu"]))

    # Which commits.
    if a.what == "current":
        head = _git("rev-parse", "HEAD")
        commit = code_commit("HEAD")
        if _git("status", "--porcelain", "--untracked-files=no", "--", *MEASURED_PATHS):
            say(
                "note: the work tree has uncommitted changes; asv measures the committed %s "
                "built from its own sources" % commit[:8]
            )
        if commit != head:
            say(
                "HEAD %s changes no measured code (%s) since %s: measuring %s, whose build HEAD "
                "has" % (head[:8], ", ".join(MEASURED_PATHS), commit[:8], commit[:8])
            )
        commits = [commit]
    else:
        branch = a.branch or (conf.get("branches") or ["main"])[0]
        hashes = code_commits(branch, a.n, a.every, a.since)
        commits = [h for h in hashes if not measured(results_dir, a.machine, h)]
        say(
            "%d commit(s) of %s that changed measured code%s: %d already measured on %s "
            "(skipped), %d to measure"
            % (
                len(hashes),
                branch,
                " (every %d-th)" % a.every if a.every > 1 else "",
                len(hashes) - len(commits),
                a.machine,
                len(commits),
            )
        )
        if not commits:
            say("nothing new to measure")
            return 0

    unbuilt, partial, nothing = [], {}, []
    for i, commit in enumerate(commits):
        if len(commits) > 1:
            say("commit %d/%d: %s" % (i + 1, len(commits), commit[:8]))
        try:
            rc, u, p = run_one(a, conf, dirs, commit, env, extra)
        except KeyboardInterrupt:
            say(
                "interrupted: the results of the commit being measured were not merged; %s "
                "holds everything measured before" % results_dir,
                err=True,
            )
            return 130
        if rc is not None:
            if rc == "nothing":
                nothing.append(commit[:8])
                continue
            return rc
        unbuilt += u
        partial.update(p)

    status = 0
    if nothing:
        say("asv ran nothing for %s (no benchmark matched?)" % ", ".join(nothing), err=True)
        status = 1
    if partial:
        for c, names in sorted(partial.items()):
            say(
                "commit %s: %d benchmark(s) failed: %s%s"
                % (c, len(names), ", ".join(names[:5]), ", ..." if len(names) > 5 else ""),
                err=True,
            )
        status = 2
    if unbuilt:
        say(
            "commit(s) %s did not build: recorded as failed (every benchmark failed; earlier "
            "results of these commits, if any, are kept). To see why: "
            "`git worktree add /tmp/x <commit> && "
            "make -C /tmp/x lib`" % ", ".join(unbuilt),
            err=True,
        )
        status = 3
    return status


def _git(*args):
    return subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()


def machine_name():
    return machine_id.identify()["machine"]


def measured(results_dir, machine, commit):
    d = os.path.join(results_dir, machine)
    return os.path.isdir(d) and any(
        f.startswith(commit[:8] + "-") and f.endswith(".json") for f in os.listdir(d)
    )


def run_one(a, conf, dirs, commit, env, extra):
    """asv run of one commit into a temporary copy of the results, then the merge.
    One asv run per commit: asv reads the suite (and bench_provenance's build parameters) with
    the commit it measures. Returns (exit status or None to go on, unbuilt, partial)."""
    results_dir = dirs["results_dir"]
    # Beside asv's environments (.asv/), not in the work tree the results directory is part of.
    parent = os.path.dirname(dirs["env_dir"])
    try:
        os.makedirs(parent, exist_ok=True)
        work = tempfile.mkdtemp(prefix="run-", dir=parent)
    except OSError:
        work = tempfile.mkdtemp(prefix="raptors-asv-run-")
    try:
        tmp_results = os.path.join(work, "results")
        shutil.copytree(results_dir, tmp_results)
        snapshot = _snapshot(tmp_results)
        tmp_conf = dict(conf)
        tmp_conf.update(dirs)
        tmp_conf["results_dir"] = tmp_results
        tmp_conf["html_dir"] = os.path.join(work, "html")
        tmp_config = os.path.join(work, "asv.conf.json")
        with open(tmp_config, "w", encoding="utf-8") as f:
            json.dump(tmp_conf, f, indent=1)

        cmd = [sys.executable, "-m", "asv", "run", "--config", tmp_config, "--show-stderr"]
        cmd += ["--machine", a.machine]
        if a.quick:
            cmd.append("--quick")
        if a.bench:
            cmd += ["--bench", a.bench]
        cmd += extra + ["%s^!" % commit]
        rc, out = run_asv(cmd, env)

        if rc == 1 and DISCOVERY_FAILED in out:
            say(
                "commit %s does not build, so asv could not even list the benchmarks with it"
                % commit[:8],
                err=True,
            )
            try:
                if record_unbuilt(tmp_config, [commit], a.bench, a.machine):
                    rc = 2
                else:
                    say(
                        "no earlier benchmark list (%s/benchmarks.json): nothing recorded"
                        % results_dir,
                        err=True,
                    )
            except Exception as e:
                say("could not record the failed build: %s: %s" % (type(e).__name__, e), err=True)
            if rc == 1:
                return None, [commit[:8]], {}
        if rc == 1 and re.search(r"No benchmarks selected", out):
            return "nothing", [], {}
        if rc not in (0, 2):
            say(
                "asv run failed (exit %d): nothing merged, %s is unchanged" % (rc, results_dir),
                err=True,
            )
            a.keep_tmp = True
            say("the run's files are kept in %s" % work, err=True)
            return 1, [], {}

        unbuilt, partial = summarize(tmp_results, snapshot)
        try:
            merged = merge_results(tmp_results, results_dir, snapshot, prefer_old=a.quick)
        except OSError as e:
            a.keep_tmp = True
            say(
                "could not write the new results into %s: %s. Earlier results are intact; this "
                "run's results are kept in %s (merge them later with `python tools/bench/run.py "
                "merge %s`)" % (results_dir, e, tmp_results, tmp_results),
                err=True,
            )
            return 4, [], {}
        n = len(
            [m for m in merged if os.path.basename(m) not in ("machine.json", "benchmarks.json")]
        )
        say("%d results file(s) merged into %s" % (n, results_dir))
        return None, unbuilt, partial
    finally:
        if not a.keep_tmp:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
