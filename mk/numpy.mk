# The NumPy releases Raptors equals bit for bit (raptors/_numpy_version.py), tested at both
# ends: the product's tests in a virtualenv per release, with this tree's package and library.
#   make test-numpy-range    NUMPY_OLDEST and NUMPY_NEWEST (the newest is the pinned one)
NUMPY_OLDEST      ?= 2.3.5
NUMPY_NEWEST      ?= $(patsubst numpy==%,%,$(shell grep '^numpy==' $(CONSTRAINTS)))
NUMPY_RANGE_TESTS ?= tests/test_scale.py tests/test_elementwise.py tests/test_reductions.py \
                     tests/test_errors.py tests/test_c_api.py tests/test_settings.py \
                     tests/test_data_pointers.py tests/test_numpy_version.py

.PHONY: test-numpy-range

test-numpy-range: lib ## the product's tests under the oldest and the newest NumPy supported
	@for v in $(NUMPY_OLDEST) $(NUMPY_NEWEST); do \
	  env=.cache/numpy-$$v; \
	  test -x $$env/bin/python || $(HOST_PY) -m venv $$env || exit 1; \
	  grep -v '^numpy==' $(CONSTRAINTS) > $$env/constraints.txt; \
	  $$env/bin/python -m pip install -q --disable-pip-version-check -c $$env/constraints.txt \
	      numpy==$$v pytest pytest-timeout hypothesis threadpoolctl || exit 1; \
	  echo "test-numpy-range: NumPy $$v"; \
	  PYTHONPATH=$(CURDIR) $$env/bin/python -m pytest -q -p no:cacheprovider \
	      $(NUMPY_RANGE_TESTS) $(PYTEST_ARGS) || exit 1; \
	done

CI_EXTRA += test-numpy-range
