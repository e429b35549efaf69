# asv work stream (issue 3): the airspeed-velocity suite, scale tracked per commit against NumPy.
#   make bench                 the current commit: set up, asv machine --yes, asv run, make publish
#   make bench-history N=20    the last N commits of main (commits already measured are skipped)
#   QUICK=1                    every benchmark once (a smoke check, numbers not meaningful)
#   BENCH=regex                only the benchmarks matching regex (asv run --bench)
# asv runs into a temporary copy of the results and merges back only what it measured (see
# tools/bench/run.py); publish (mk/dashboard.mk) then writes the dashboard. See README.md, "Benchmarks".

BENCH_VENV_STAMP := $(VENV)/.stamp-extra-bench
ASV_CONFIG ?= asv.conf.json
N          ?= 20
QUICK      ?=
BENCH      ?=
BENCH_ARGS := --config $(ASV_CONFIG) $(if $(filter-out 0,$(QUICK)),--quick) \
              $(if $(BENCH),--bench '$(BENCH)')

.PHONY: bench bench-history bench-setup bench-check

bench-setup: $(BENCH_VENV_STAMP) ## install asv + virtualenv into .venv (the `bench` extra)

# run.py's exit status 2/3 (a benchmark failed / a commit did not build) still publishes what
# was measured, then fails.
bench: $(BENCH_VENV_STAMP) ## asv: measure the current commit, publish the dashboard (QUICK=1: smoke)
	@rc=0; $(PYTHON) tools/bench/run.py current $(BENCH_ARGS) || rc=$$?; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 2 ] && [ $$rc -ne 3 ]; then exit $$rc; fi; \
	$(MAKE) --no-print-directory publish || exit $$?; exit $$rc

bench-history: $(BENCH_VENV_STAMP) ## asv: measure the last N (=20) commits of main, publish
	@rc=0; $(PYTHON) tools/bench/run.py history -n $(N) $(BENCH_ARGS) || rc=$$?; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 2 ] && [ $$rc -ne 3 ]; then exit $$rc; fi; \
	$(MAKE) --no-print-directory publish || exit $$?; exit $$rc

bench-check: $(BENCH_VENV_STAMP) lib ## asv check of the suite against the package in this tree
	$(PYTHON) -m asv check --python=same --config $(ASV_CONFIG)

# `make test` runs tests/test_benchmarks.py, which needs asv in .venv.
test: $(BENCH_VENV_STAMP)
