# The fleet (issue 17): .github/workflows/bench.yml runs `make test` and `make bench` on x86-64
# Linux, Arm64 Linux and macOS on Apple silicon, merges their results and publishes one dashboard.
# It has not run on a real runner yet; here it is linted (actionlint, part of `make lint`) and
# tests/tools/test_workflows.py checks that every command it runs is a make target.
#   make lint-workflows   actionlint on .github/workflows/*.yml

WORKFLOWS := $(wildcard .github/workflows/*.yml .github/workflows/*.yaml)

.PHONY: lint-workflows

lint-workflows: $(VENV_LINT) ## actionlint on the GitHub Actions workflows (part of make lint)
	$(VENV)/bin/actionlint -no-color $(WORKFLOWS)
	@echo "lint: $(words $(WORKFLOWS)) workflow file(s) pass actionlint ($$($(VENV)/bin/actionlint -version | head -n 1))"

lint: lint-workflows
