# Reliability work stream (issue 5): sanitizers and fuzzing.
#   make sanitize      build libraptors with gcc's AddressSanitizer + UndefinedBehaviorSanitizer
#                      into $(SAN_BUILD_DIR), prove the sanitizer is live (a deliberate
#                      out-of-bounds call must be caught), then run the pytest suite against
#                      that build (RAPTORS_LIBRARY, ASan runtime LD_PRELOADed for Python; every
#                      subprocess a test starts inherits both). SAN_PYTEST_ARGS: see below.
#   make fuzz          fuzz raptors.scale (tests/fuzz_scale.py), then add, subtract, multiply,
#                      sum and mean (tests/fuzz_ops.py) against NumPy; replay a case with
#                      the line it prints. Each fuzzer runs SEED=<int> (default: random),
#                      N=<cases> or TIME=<seconds> (default 60 s each); SANITIZE=1 to fuzz
#                      the sanitizer build.
# Linux only (LD_PRELOAD). The sanitizer build never replaces raptors/libraptors.so.

SAN_CC        ?= gcc
SAN_BUILD_DIR ?= build-asan
SAN_LIB       := $(SAN_BUILD_DIR)/$(LIBNAME)
# UBSan aborts at the first report; LTO stays on (the flags are repeated at link time,
# where gcc's LTO needs them), so the sanitized code is the shipped code plus checks.
# RAPTORS_NAN_ROWS=3: the axis-0 nan* reductions empty their 32-bit NaN counters every 3
# rows instead of 2^32 - 1, so the suite runs the path only columns of 2^32 rows take else.
SAN_FLAGS     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                 -fno-omit-frame-pointer -g -DRAPTORS_NAN_ROWS=3
# detect_leaks=0: CPython never frees some of its own allocations at exit.
# allocator_may_return_null=1: an impossible allocation is NumPy's MemoryError, as without ASan.
# valgrind cannot run ASan-instrumented code: the instruction-count tests skip, saying why.
SAN_ENV        = RAPTORS_LIBRARY=$(abspath $(SAN_LIB)) \
                 LD_PRELOAD="$$($(SAN_CC) -print-file-name=libasan.so)" \
                 PYTHONMALLOC=malloc \
                 ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1:detect_stack_use_after_return=1:check_initialization_order=1 \
                 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                 RAPTORS_VALGRIND=/nonexistent/valgrind

.PHONY: sanitize sanitize-lib sanitize-canary fuzz

sanitize-lib: ## build $(SAN_BUILD_DIR)/libraptors.so with ASan + UBSan
	@$(MAKE) --no-print-directory CC=$(SAN_CC) BUILD_DIR=$(SAN_BUILD_DIR) \
	    EXTRA_CFLAGS="$(SAN_FLAGS)" EXTRA_LDFLAGS="$(SAN_FLAGS)" $(SAN_LIB)

sanitize-canary: venv $(VENV_TEST) sanitize-lib
	@$(SAN_ENV) $(PYTHON) tools/fuzz/canary.py

# Left out by default: tests of other tools that gain nothing from a sanitized libraptors --
# the valgrind instruction counts (valgrind cannot run ASan code) and the asv run on a
# clone (builds its own library in asv's environment; ~100 s under ASan).
SAN_PYTEST_ARGS ?= -k "not track_instructions and not end_to_end_on_a_clone"
sanitize: sanitize-canary ## the pytest suite against an ASan + UBSan build of libraptors
	$(SAN_ENV) $(PYTHON) -m pytest $(SAN_PYTEST_ARGS) $(PYTEST_ARGS)

# SEED, N and TIME count only when given on the command line or in the environment
# (another .mk file may use the same names for its own defaults).
fuzz_arg = $(if $(filter command line environment,$(origin $(1))),$($(1)))
FUZZ_SEED = $(call fuzz_arg,SEED)
FUZZ_N    = $(call fuzz_arg,N)
FUZZ_TIME = $(or $(call fuzz_arg,TIME),$(if $(FUZZ_N),,60))
FUZZ_ARGS = $(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) $(if $(FUZZ_N),--cases $(FUZZ_N)) \
            $(if $(FUZZ_TIME),--time $(FUZZ_TIME))
fuzz: venv lib $(VENV_TEST) $(if $(SANITIZE),sanitize-lib) ## fuzz scale, then the other operations, vs NumPy (SEED= N= TIME= SANITIZE=1)
	$(if $(SANITIZE),$(SAN_ENV)) $(PYTHON) tests/fuzz_scale.py $(FUZZ_ARGS)
	$(if $(SANITIZE),$(SAN_ENV)) $(PYTHON) tests/fuzz_ops.py $(FUZZ_ARGS)

# `make sanitize` takes about 2 minutes on 2 cores (build ~10 s, suite ~1m45s).
CI_EXTRA += sanitize
