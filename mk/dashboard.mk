# Dashboard work stream (issue 7): an asv dashboard that works offline, a Raptors overview page
# beside it, and a headless-Chromium test of both. See docs/dashboard.md.
#   make publish   asv publish + pinned JS/CSS from npm + rewrite CDN links + raptors.html
#   make preview   serve the published dashboard on 127.0.0.1 and print the URL
#   make e2e       install chromium/npm if missing, bench (quick) / publish if needed, browser test

DASH_DIR  := tools/dashboard
CHROMIUM  ?= chromium
DASH_SUDO := $(if $(filter 0,$(shell id -u 2>/dev/null)),,sudo)

# asv must be importable by $(PYTHON): pyproject's `bench` extra.
DASH_VENV_DEP := $(VENV)/.stamp-extra-bench

.PHONY: publish preview e2e e2e-deps

publish: $(DASH_VENV_DEP) ## asv publish, made offline, + Raptors overview; prints index.html's path
	$(PYTHON) $(DASH_DIR)/publish.py

preview: ## serve the published dashboard on 127.0.0.1 (PORT=8080) and print its URL
	$(HOST_PY) $(DASH_DIR)/preview.py

e2e-deps: ## install Debian's chromium (browser test) and npm (offline assets) if missing
	@need=""; \
	command -v $(CHROMIUM) >/dev/null 2>&1 || need="chromium"; \
	command -v npm >/dev/null 2>&1 || need="$$need npm"; \
	if [ -n "$$need" ]; then \
	  echo "installing$$need (apt-get)"; \
	  $(DASH_SUDO) apt-get update -q && \
	  $(DASH_SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$need; \
	fi

# No results yet (a fresh clone): a quick run of the headline benchmark and the build-provenance
# one on this commit (~1-3 min); its exit status is ignored as long as headline results exist.
E2E_BENCH ?= ^bench_(headline|provenance)\.

e2e: e2e-deps $(DASH_VENV_DEP) ## check the published dashboard renders offline in headless Chromium
	@$(PYTHON) $(DASH_DIR)/publish.py --has-results || { \
	  $(MAKE) --no-print-directory bench QUICK=1 BENCH='$(E2E_BENCH)'; \
	  $(PYTHON) $(DASH_DIR)/publish.py --has-results; }
	$(PYTHON) $(DASH_DIR)/publish.py --if-needed
	$(PYTHON) $(DASH_DIR)/e2e.py

CI_EXTRA += e2e
