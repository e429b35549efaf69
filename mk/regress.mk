# Regression gate work stream (issues 3, 6 and 15): is HEAD slower than BASE, and how sure is that?
#   make regress BASE=<rev>   build BASE's and HEAD's libraptors (cached in .cache/regress), compare
#                             instructions per operation (callgrind, exact) and time through the
#                             whole call path (each commit's own package + library, side by side in
#                             one process beside NumPy, one thread and every CPU; sign test +
#                             bootstrap); print the tables; exit 1 on a regression beyond FACTOR
#                             (default 1.05, i.e. 5% slower) at p < ALPHA; operations BASE lacks
#                             are skipped and named
#   make regress-power        plant slowdowns (SLOWDOWNS: WHERE:PERCENT, WHERE one of library,
#                             scale, binary, reduce, python) in a temporary clone, run the gate
#                             TRIALS times per condition (and on identical commits): detection and
#                             false-alarm rates
# Variables: BASE (required), REGRESS_HEAD (=HEAD), FACTOR, ALPHA, INSN_TOL, REGRESS_SECONDS
# (timing per case), ASV=1 (also `asv continuous` on the headline, advisory), ASV_STRICT=1 (asv's
# verdict counts), TRIALS, SLOWDOWNS, POWER_SECONDS. See docs/regress.md.

REGRESS_HEAD    ?= HEAD
FACTOR          ?= 1.05
ALPHA           ?= 0.01
INSN_TOL        ?= 0.01
REGRESS_SECONDS ?= 2
ASV             ?= 0
ASV_STRICT      ?= 0
TRIALS          ?= 10
SLOWDOWNS       ?= library:10,binary:10,reduce:10,python:100
POWER_SECONDS   ?= 1
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

regress-power: $(VENV)/.stamp-extra-regress regress-deps ## measure the gate: planted slowdowns (C families, Python layer) and identical commits, TRIALS each
	$(PYTHON) tools/regress/power.py --trials $(TRIALS) --slowdowns $(SLOWDOWNS) \
	    --seconds $(POWER_SECONDS) --factor $(FACTOR) --alpha $(ALPHA)
