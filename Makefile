# healthcover: `make dashboard` serves the dashboards, `make test` runs the whole suite.
# Both build .venv on first use (python3 -m venv + pip install -e '.[test,data,report,dask]')
# and install Debian's chromium and CJK fonts for the browser tests when they are missing.

VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8866
STAMP  := $(VENV)/.installed
# CI and this machine run as root; elsewhere apt needs sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install test dashboard report lock bench clean distclean

install: $(STAMP)

# Installs the versions pinned in requirements-lock.txt (constraints: only what pyproject.toml
# asks for is installed), so a rebuild months later runs on the same packages.
$(STAMP): pyproject.toml requirements-lock.txt $(wildcard share/jupyter/voila/templates/healthcover/*)
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements-lock.txt -e '.[test,data,report,dask]'
	@if [ -x /usr/bin/chromium ] && dpkg -s fonts-noto-cjk >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null; then \
	  echo "Installing Debian chromium and fonts-noto-cjk (browser tests, Chinese labels)"; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
	else echo "warning: no apt-get; install chromium at /usr/bin/chromium for the browser tests"; \
	fi
	@touch $@

test: $(STAMP)
	$(PY) -m pytest

# The population and the schemes' baselines are built once into files every kernel maps
# (healthcover.reforms; found again on later runs), then Voila starts its preheated kernels.
dashboard: $(STAMP)
	$(PY) -m healthcover.reforms
	@echo "Dashboards: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the server)"
	$(VENV)/bin/voila notebooks/dashboards --no-browser --port=$(PORT) --Voila.ip=127.0.0.1

# Every notebook under notebooks/ (not the dashboards) into build/report/ (HTML and PDF);
# ARGS passes options: make report ARGS="-p n_households 20000 --no-pdf"
report: $(STAMP)
	$(PY) -m healthcover.report $(ARGS)

# Re-pin requirements-lock.txt from a fresh install of pyproject.toml's dependencies.
lock:
	rm -rf .venv-lock && python3 -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[test,data,report,dask]'
	{ sed -n '/^#/p' requirements-lock.txt; .venv-lock/bin/python -m pip freeze --exclude-editable; } > requirements-lock.txt.new
	mv requirements-lock.txt.new requirements-lock.txt
	rm -rf .venv-lock

# Benchmarks print speeds beside a baseline measured in the same run; they never fail.
bench: $(STAMP)
	@set -e; for f in benchmarks/*.py; do \
	  [ -e "$$f" ] || { echo "no benchmarks yet"; break; }; \
	  echo "== $$f"; $(PY) "$$f"; \
	done

clean:
	rm -rf build dist test-artifacts .pytest_cache .hypothesis .benchmarks *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf
	find . -path ./$(VENV) -prune -o -name .ipynb_checkpoints -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)
