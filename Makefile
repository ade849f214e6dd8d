# The two commands of the README. Both bootstrap .venv from requirements.txt and node_modules from
# package-lock.json (the scripts the website serves itself) on a fresh machine.
#   make book   execute every chapter and build the HTML into _build/html
#   make lint   ruff check (rules in pyproject.toml's [tool.ruff]) on the library, tests, benchmarks, tools and
#               book/_ext; make test runs it first, so a lint error fails the tests
#   make lock   write constraints.txt (every installed package's version) from .venv; make venv installs with it
#   make test   run the lib unit tests, every chapter (papermill, quick=True), the book build, the static
#               checks of the built site and the browser tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSETS := node_modules/.installed
# Figures render as HTML that loads the plotly.js the book serves (see kernel_ssl.display).
export KERNEL_SSL_RENDERER := book
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0

.PHONY: book lint test venv assets clean lock

venv: $(STAMP)

# MathJax, RequireJS and the ipywidgets embed manager, pinned by package-lock.json; book/_ext/offline_assets.py
# copies them into the website (no page loads a script from a CDN).
assets: $(ASSETS)

$(ASSETS): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the website's scripts (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(ASSETS)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP) $(ASSETS)
	$(BIN)/python tools/book_inputs.py
	$(BIN)/jupyter-book build . --builder html -n --keep-going
	@test -n "$$(ls _build/html/book/*.html 2>/dev/null)" || { echo "no chapter pages were built"; exit 1; }

lint: $(STAMP)
	$(BIN)/ruff check .

test: lint $(ASSETS)
	$(BIN)/python -m pytest tests

# Freeze every installed package of the verified .venv into constraints.txt (after changing requirements.txt)
lock: $(STAMP)
	$(BIN)/python tools/lock.py

clean:
	rm -rf _build

# The twins (not part of make test: minutes each; they build environments under .twins/). README, "Twins".
#   make colab-twin       Colab's runtime (Python 3.13, its package versions): the install cell, then every chapter
#                         at quick=True, as after Colab's restart
#   make binder-twin      a fresh environment from binder/ only (as repo2docker builds it), every chapter at its
#                         defaults on one CPU; time, kernel peak memory, size on disk
#   make front-end-check  JupyterLab (the Binder twin's and the local .venv's) in chromium: the live controls render
#                         and moving one changes its figure
.PHONY: colab-twin binder-twin front-end-check

colab-twin: $(STAMP)
	$(BIN)/python tools/twins/colab_twin.py

binder-twin: $(STAMP)
	$(BIN)/python tools/twins/binder_twin.py

front-end-check: $(STAMP)
	$(BIN)/python tools/twins/front_end.py
