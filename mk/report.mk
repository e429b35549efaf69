# The performance report: every operation against NumPy on this machine, measured through
# raptors/_measure.py (the measurement core tune, the asv suite and the regression gate share).
#   make report         reports/report-<date>.md (+ .json, PNGs): the 36-case matrix, every
#                       element-wise operation over sizes and modes, the 16-element call path,
#                       findings and limits per operation, the Dask cluster cases with their
#                       read bounds (tools/report/dask_bounds.py; not with --quick or
#                       REPORT_ARGS=--no-dask); ~5 minutes
#   make report-quick   the same, fewer shapes and sizes, for a smoke check
#   REPORT_ARGS=...     e.g. --budget 300, --out DIR, --rerender reports/report-<date>.json

REPORT_ARGS ?=

.PHONY: report report-quick

report: lib $(VENV)/.stamp-extra-report ## measure every operation vs NumPy, write reports/report-<date>.md
	$(PYTHON) tools/report/report.py $(REPORT_ARGS)

report-quick: lib $(VENV)/.stamp-extra-report ## the same, fewer shapes and sizes
	$(PYTHON) tools/report/report.py --quick $(REPORT_ARGS)
