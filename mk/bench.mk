# asv work stream (issues 3, 17): the airspeed-velocity suite, every operation tracked per commit
# against NumPy, the results kept in git (bench-results/, one directory per machine type).
#   make bench                 the current commit (or, if HEAD changes no measured code, the newest
#                              commit that did): asv run on this machine type, then make publish
#   make bench-history N=20    the last N commits of main that changed measured code
#                              (EVERY=K: every K-th of them; SINCE=rev: none older; commits
#                              already measured on this machine type are skipped)
#   make bench-merge FROM=dir  another results directory (another machine, a CI runner) into ours
#   make bench-machine         print this machine's name (its processor type) and asv info
#   QUICK=1                    every benchmark once (a smoke check, numbers not meaningful)
#   BENCH=regex                only the benchmarks matching regex (asv run --bench)
# asv runs into a temporary copy of the results and merges back only what it measured (see
# tools/bench/run.py); publish (mk/dashboard.mk) then writes the dashboard. See README.md, "Benchmarks".

BENCH_VENV_STAMP := $(VENV)/.stamp-extra-bench
ASV_CONFIG ?= asv.conf.json
N          ?= 20
EVERY      ?= 1
SINCE      ?=
FROM       ?=
AS         ?=
QUICK      ?=
BENCH      ?=
BENCH_ARGS := --config $(ASV_CONFIG) $(if $(filter-out 0,$(QUICK)),--quick) \
              $(if $(BENCH),--bench '$(BENCH)')

.PHONY: bench bench-history bench-setup bench-check bench-merge bench-machine

bench-setup: $(BENCH_VENV_STAMP) ## install asv + virtualenv into .venv (the `bench` extra)

# run.py's exit status 2/3 (a benchmark failed / a commit did not build) still publishes what
# was measured, then fails.
bench: $(BENCH_VENV_STAMP) ## asv: measure the current commit, publish the dashboard (QUICK=1: smoke)
	@rc=0; $(PYTHON) tools/bench/run.py current $(BENCH_ARGS) || rc=$$?; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 2 ] && [ $$rc -ne 3 ]; then exit $$rc; fi; \
	$(MAKE) --no-print-directory publish || exit $$?; exit $$rc

bench-history: $(BENCH_VENV_STAMP) ## asv: the last N (=20) commits of main that changed measured code, publish
	@rc=0; $(PYTHON) tools/bench/run.py history -n $(N) --every $(EVERY) \
	    $(if $(SINCE),--since '$(SINCE)') $(BENCH_ARGS) || rc=$$?; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 2 ] && [ $$rc -ne 3 ]; then exit $$rc; fi; \
	$(MAKE) --no-print-directory publish || exit $$?; exit $$rc

# FROM: one or more results directories, shell-style patterns allowed (FROM='runner-results/*').
bench-merge: $(BENCH_VENV_STAMP) ## merge results dirs FROM=<dirs> (other machines', CI's) into bench-results/
	@test -n '$(FROM)' || { echo "usage: make bench-merge FROM=<results dir(s)> [AS=<machine>]"; exit 2; }
	@test -n '$(wildcard $(FROM))' || { echo "bench-merge: nothing matches FROM=$(FROM)"; exit 2; }
	@for d in $(wildcard $(FROM)); do \
	  $(PYTHON) tools/bench/run.py merge "$$d" --config $(ASV_CONFIG) $(if $(AS),--as '$(AS)') || exit $$?; \
	done

bench-machine: ## print this machine's benchmark name (its processor type) and asv machine info
	@$(HOST_PY) tools/bench/machine.py --json

bench-check: $(BENCH_VENV_STAMP) lib ## asv check of the suite against the package in this tree
	$(PYTHON) -m asv check --python=same --config $(ASV_CONFIG)

# `make test` runs tests/tools/test_benchmarks.py, which needs asv in .venv.
test: $(BENCH_VENV_STAMP)
