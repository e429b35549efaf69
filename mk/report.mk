# Performance reports (issues 4 and 15): every operation vs NumPy, and scale vs NumPy and peers,
# in the spirit of the seed's analysis, both measured through tools/measure.py (the measurement
# core the asv suite and the regression gate share). See docs/performance.md.
#   make report         reports/ops-<date>.md (the 36-case matrix, one plot per operation
#                       family, findings and limits per operation) and reports/scale-<date>.md
#                       (scale: sizes x modes, peers, issue-4 targets); ~5 minutes
#   make report-quick   the same, fewer shapes and sizes, for a smoke check

REPORT_ARGS ?=

.PHONY: report report-quick

report: lib $(VENV)/.stamp-extra-report ## measure every operation vs NumPy (+ scale vs peers), write reports/
	$(PYTHON) tools/report/ops_report.py $(REPORT_ARGS)
	$(PYTHON) tools/report/scale_report.py $(REPORT_ARGS)

report-quick: lib $(VENV)/.stamp-extra-report ## the same, fewer shapes and sizes
	$(PYTHON) tools/report/ops_report.py --quick $(REPORT_ARGS)
	$(PYTHON) tools/report/scale_report.py --quick $(REPORT_ARGS)
