# Tuning (issue 16): `python -m raptors tune` measures, on this machine, the SIMD variant that
# serves each operation family, dtype, store kind and size regime best and the streaming-store
# and bytes-per-thread thresholds, and stores them for this processor type in the user's cache
# directory ($XDG_CACHE_HOME/raptors, else ~/.cache/raptors); `import raptors` applies them.
# RAPTORS_TUNING=<file> uses (and `tune` writes) another file, RAPTORS_TUNING=off none.
#   make tune            measure (again) and store (< 1 minute on the 2-core VM)
#   make tune-show       the tuning in effect and where it came from
#   TUNE_ARGS=...        e.g. --dry-run, --output PATH, --compare A [B]
# make bench and make report run on a tuned library: they tune first when this processor type
# has no tuning yet (with the virtualenv each of them installs anyway).

TUNE_ARGS ?=

.PHONY: tune tune-show

tune: lib $(VENV_TEST) ## measure this machine's tuning: SIMD variant per size and store kind, thresholds
	$(PYTHON) -m raptors tune $(TUNE_ARGS)

tune-show: lib $(VENV_TEST) ## the tuning in effect and where it came from
	$(PYTHON) -m raptors tune --show

# tune-if-missing-<extra>: with the package installed by .stamp-extra-<extra>. (A pattern rule
# cannot be .PHONY, hence FORCE.)
tune-if-missing-%: lib $(VENV)/.stamp-extra-% FORCE
	@$(PYTHON) -m raptors tune --if-missing

bench: tune-if-missing-bench
report report-quick: tune-if-missing-report
