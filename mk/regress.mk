# Regression gate work stream (issues 3 and 6): is HEAD slower than BASE, and how sure is that?
#   make regress BASE=<rev>   build BASE's and HEAD's libraptors (cached in .cache/regress), compare
#                             instructions (callgrind, exact) and time (in-process interleaved A/B
#                             beside NumPy, sign test + bootstrap); print the tables; exit 1 on a
#                             regression beyond FACTOR (default 1.05, i.e. 5% slower) at p < ALPHA
#   make regress-power        plant 10% and 25% slowdowns in a temporary clone, run the gate TRIALS
#                             times per condition (and on identical commits): detection and
#                             false-alarm rates
# Variables: BASE (required), REGRESS_HEAD (=HEAD), FACTOR, ALPHA, INSN_TOL, REGRESS_SECONDS
# (timing per case), ASV=1 (also `asv continuous` on the headline, advisory), ASV_STRICT=1 (asv's
# verdict counts), TRIALS, SLOWDOWNS, POWER_SECONDS. See docs/regress.md.

REGRESS_HEAD    ?= HEAD
FACTOR          ?= 1.05
ALPHA           ?= 0.01
INSN_TOL        ?= 0.01
REGRESS_SECONDS ?= 4
ASV             ?= 0
ASV_STRICT      ?= 0
TRIALS          ?= 20
SLOWDOWNS       ?= 10,25
POWER_SECONDS   ?= 2
REGRESS_SUDO    := $(if $(filter 0,$(shell id -u 2>/dev/null)),,sudo)
REGRESS_ASV_DEP := $(if $(filter 1,$(ASV) $(ASV_STRICT)),$(if $(BENCH_VENV_STAMP),$(BENCH_VENV_STAMP)))

.PHONY: regress regress-power regress-deps

# valgrind counts the instructions; without it (and without a way to install it) the gate says
# so and decides from the timings alone.
regress-deps:
	@command -v valgrind >/dev/null 2>&1 || { \
	  echo "regress: installing valgrind (apt-get) for the instruction counts"; \
	  ( $(REGRESS_SUDO) apt-get update -q && \
	    $(REGRESS_SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind ) \
	  >/dev/null 2>&1 || echo "regress: could not install valgrind; instruction counts will be skipped"; }

regress: $(VENV)/.stamp-extra-regress regress-deps $(REGRESS_ASV_DEP) ## compare HEAD with BASE=<rev> (exit 1 on a regression beyond FACTOR)
	@test -n "$(BASE)" || { echo "usage: make regress BASE=<git revision> [FACTOR=1.05]"; exit 2; }
	$(PYTHON) tools/regress/gate.py --base '$(BASE)' --head '$(REGRESS_HEAD)' --factor $(FACTOR) \
	    --alpha $(ALPHA) --insn-tol $(INSN_TOL) --seconds $(REGRESS_SECONDS) \
	    $(if $(filter 1,$(ASV) $(ASV_STRICT)),--asv) $(if $(filter 1,$(ASV_STRICT)),--asv-strict) \
	    $(REGRESS_ARGS)

regress-power: $(VENV)/.stamp-extra-regress regress-deps ## measure the gate: planted 10%/25% slowdowns and identical commits, TRIALS each
	$(PYTHON) tools/regress/power.py --trials $(TRIALS) --slowdowns $(SLOWDOWNS) \
	    --seconds $(POWER_SECONDS) --factor $(FACTOR) --alpha $(ALPHA)
