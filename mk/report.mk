# Performance report (issue 4): raptors.scale vs NumPy and peers, in the spirit of the seed's
# analysis. Writes reports/scale-<date>.md (+ .png, .json); see docs/performance.md.
#   make report         full run (< ~5 minutes)
#   make report-quick   fewer sizes, for a smoke check

REPORT_ARGS ?=

.PHONY: report report-quick

report: lib $(VENV)/.stamp-extra-report ## measure scale vs NumPy/peers, write reports/scale-<date>.md
	$(PYTHON) tools/report/scale_report.py $(REPORT_ARGS)

report-quick: lib $(VENV)/.stamp-extra-report ## the same, fewer sizes
	$(PYTHON) tools/report/scale_report.py --quick $(REPORT_ARGS)
