# Raptors: build libraptors, the Python package around it, and run the tests.
# `make help` lists the targets. Other work streams add targets in mk/*.mk.

.DEFAULT_GOAL := lib

# ---- Configuration: every compiler flag is set in this block ---------------
CC        ?= cc
HOST_PY   ?= python3
BUILD_DIR ?= build
VENV      ?= .venv
PYTHON    := $(VENV)/bin/python

TRIPLE    := $(shell $(CC) -dumpmachine 2>/dev/null)
ARCH      := $(firstword $(subst -, ,$(TRIPLE)))
UNAME_S   := $(shell uname -s)

ifeq ($(UNAME_S),Darwin)
  LIBNAME := libraptors.dylib
  SHARED  := -dynamiclib -install_name @rpath/libraptors.dylib
else
  LIBNAME := libraptors.so
  SHARED  := -shared -Wl,-soname,libraptors.so
endif

# Tuning: native unless told otherwise. CPU=<name> for a cross build (native
# means nothing there); PORTABLE=1 for a library that runs on any machine of
# the architecture. x86 spells it -march, Arm -mcpu.
ifeq ($(ARCH),aarch64)
  TUNE_PORTABLE := -march=armv8-a
  TUNE_CPU      := -mcpu=$(CPU)
  TUNE_NATIVE   := -mcpu=native
else ifeq ($(ARCH),arm64)
  TUNE_PORTABLE := -march=armv8-a
  TUNE_CPU      := -mcpu=$(CPU)
  TUNE_NATIVE   := -mcpu=native
else
  TUNE_PORTABLE := -march=x86-64 -mtune=generic
  TUNE_CPU      := -march=$(CPU)
  TUNE_NATIVE   := -march=native
endif
ifeq ($(PORTABLE),1)
  TUNE   := $(TUNE_PORTABLE)
  TARGET := portable
else ifneq ($(CPU),)
  TUNE   := $(TUNE_CPU)
  TARGET := $(CPU)
else
  TUNE   := $(TUNE_NATIVE)
  TARGET := native
endif

# IEEE semantics are the contract: no fast-math of any kind, and no contraction
# of a*b+c into one rounding. Hidden visibility: only RAPTORS_API is exported.
OPT_CFLAGS  := -O3 -flto -ffp-contract=off
# Warnings: `make lint` turns them into errors under gcc and clang.
WARN_CFLAGS := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
               -Wformat=2 -Wundef -Wvla -Wconversion -Wsign-conversion -Wdouble-promotion \
               -Wcast-qual -Wcast-align
CFLAGS_ALL  := -std=c11 $(OPT_CFLAGS) $(TUNE) $(WARN_CFLAGS) -fPIC -fvisibility=hidden \
               -pthread $(EXTRA_CFLAGS)
LDFLAGS_ALL := $(OPT_CFLAGS) $(TUNE) -pthread $(SHARED) $(EXTRA_LDFLAGS)
# The scalar variant is the baseline the SIMD ones are measured against: keep
# the compiler from vectorizing it behind our back.
SCALAR_CFLAGS := -fno-tree-vectorize
# ---------------------------------------------------------------------------

SRC_DIR := libraptors
SRCS    := $(wildcard $(SRC_DIR)/*.c)
OBJS    := $(SRCS:$(SRC_DIR)/%.c=$(BUILD_DIR)/%.o)
HDRS    := $(wildcard $(SRC_DIR)/*.h)
LIB     := $(BUILD_DIR)/$(LIBNAME)
PKG_LIB := raptors/$(LIBNAME)
GIT_COMMIT := $(shell git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
CC_VERSION := $(shell $(CC) --version 2>/dev/null | head -n 1)

.PHONY: lib all test venv sdist clean distclean help ci-extra FORCE

lib: $(PKG_LIB) ## build libraptors and place it in the package
all: lib

# Replace, never overwrite in place: a process that has the old library mapped
# (a running test, a benchmark) would crash.
$(PKG_LIB): $(LIB)
	cp $< $@.tmp && mv -f $@.tmp $@

$(LIB): $(OBJS)
	$(CC) $(LDFLAGS_ALL) -o $@ $(OBJS)

$(BUILD_DIR)/%.o: $(SRC_DIR)/%.c $(HDRS) $(BUILD_DIR)/build_config.h | $(BUILD_DIR)
	$(CC) $(CFLAGS_ALL) $(if $(findstring kernels_scalar,$<),$(SCALAR_CFLAGS)) \
	    -I$(SRC_DIR) -I$(BUILD_DIR) -c $< -o $@

# Rewritten only when its content changes, so an unchanged build stays up to date.
$(BUILD_DIR)/build_config.h: FORCE | $(BUILD_DIR)
	@printf '%s\n' \
	  '#define RAPTORS_BUILD_CC "$(subst ",\",$(CC_VERSION))"' \
	  '#define RAPTORS_BUILD_CFLAGS "$(strip $(CFLAGS_ALL))"' \
	  '#define RAPTORS_BUILD_TARGET "$(TARGET) $(TRIPLE)"' \
	  '#define RAPTORS_BUILD_GIT "$(GIT_COMMIT)"' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(BUILD_DIR):
	mkdir -p $@

# ---- Python environment and tests ----------------------------------------
# Every version is pinned in requirements/constraints.txt, and only there; what each task
# needs is an extra of pyproject.toml. `make` installs an extra together with the package
# itself (editable: this tree, importable from anywhere).
CONSTRAINTS := requirements/constraints.txt
PIP_INSTALL := $(PYTHON) -m pip install -q --disable-pip-version-check -c $(CONSTRAINTS)

# The installer and the build backend first: the editable install builds without isolation.
$(VENV)/.stamp-venv: $(CONSTRAINTS)
	test -x $(PYTHON) || $(HOST_PY) -m venv $(VENV)
	$(PIP_INSTALL) pip hatchling editables
	touch $@

# $(VENV)/.stamp-extra-<name>: the package plus pyproject's extra <name> (test, lint, bench, ...).
$(VENV)/.stamp-extra-%: $(VENV)/.stamp-venv pyproject.toml hatch_build.py
	$(PIP_INSTALL) --no-build-isolation -e '.[$*]'
	touch $@

VENV_TEST := $(VENV)/.stamp-extra-test
VENV_LINT := $(VENV)/.stamp-extra-lint

venv: $(VENV_TEST) $(VENV_LINT) ## create .venv with what the tests and the linters need

# ---- Lint: Python (ruff, mypy --strict) and C (-Werror under gcc and clang) ----
LINT_CCS        ?= gcc clang
LINT_CFLAGS     := -Werror
LINT_PY_SOURCES := raptors tests benchmarks tools hatch_build.py
LINT_SUDO       := $(if $(filter 0,$(shell id -u 2>/dev/null)),,sudo)

.PHONY: lint lint-py lint-c

lint: lint-py lint-c ## ruff check + ruff format --check, mypy --strict, C with -Werror (gcc, clang)

lint-py: $(VENV_LINT)
	$(VENV)/bin/ruff check $(LINT_PY_SOURCES)
	$(VENV)/bin/ruff format --check $(LINT_PY_SOURCES)
	$(VENV)/bin/mypy

lint-c: $(LINT_CCS:%=lint-c-%)

# Each compiler builds the whole library (LTO link included) into its own directory, so
# the product in build/ is untouched. A missing clang is installed from Debian. (A pattern
# rule cannot be .PHONY, hence FORCE.)
lint-c-%: FORCE
	@command -v $* >/dev/null 2>&1 || { \
	  echo "lint: installing $* (apt-get)"; \
	  $(LINT_SUDO) apt-get update -qq && \
	  $(LINT_SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $* >/dev/null; }
	@$(MAKE) --no-print-directory -s CC=$* BUILD_DIR=build-lint-$* \
	    EXTRA_CFLAGS='$(LINT_CFLAGS)' build-lint-$*/$(LIBNAME)
	@echo "lint: libraptors builds cleanly with $* $(LINT_CFLAGS) ($$($* -dumpversion))"

PYTEST_ARGS ?=
test: lint $(VENV_TEST) lib ## make lint, then build, install and run the test suite
	$(PYTHON) -m pytest $(PYTEST_ARGS)

# The sdist holds the sources only; whoever installs it compiles the library (`make lib`).
sdist: $(VENV_TEST) ## dist/raptors-<version>.tar.gz: C sources, Makefile, package
	$(PYTHON) -m build --sdist --no-isolation --outdir dist

clean: ## remove build products
	rm -rf $(BUILD_DIR) build-* raptors/libraptors.so raptors/libraptors.dylib \
	    dist *.egg-info .pytest_cache .hypothesis
	find . -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## also remove the virtualenv and caches
	rm -rf $(VENV) .cache

help: ## list targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

# Work streams' targets (bench, publish, report, sanitize, test-arm64, ...).
CI_EXTRA :=
-include $(sort $(wildcard mk/*.mk))

ci-extra: $(CI_EXTRA) ## what .ci/run runs after `make test`
