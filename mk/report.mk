# Performance report (issue 4): raptors.scale vs NumPy and peers, in the spirit of the seed's
# analysis. Writes reports/scale-<date>.md (+ .png, .json); see docs/performance.md.
#   make report         full run (< ~5 minutes)
#   make report-quick   fewer sizes, for a smoke check

REPORT_ARGS ?=

$(VENV)/.stamp-report: $(VENV)/.stamp-test requirements/report.txt
	$(PYTHON) -m pip install -q -r requirements/report.txt
	touch $@

.PHONY: report report-quick

report: lib $(VENV)/.stamp-install $(VENV)/.stamp-report ## measure scale vs NumPy/peers, write reports/scale-<date>.md
	$(PYTHON) tools/report/scale_report.py $(REPORT_ARGS)

report-quick: lib $(VENV)/.stamp-install $(VENV)/.stamp-report ## the same, fewer sizes
	$(PYTHON) tools/report/scale_report.py --quick $(REPORT_ARGS)
