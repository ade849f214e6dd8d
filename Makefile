# The two commands of the README. Both bootstrap .venv from requirements.txt on a fresh machine.
#   make book   execute every chapter and build the HTML into _build/html
#   make test   run the lib unit tests, every chapter (papermill, quick=True), the book build and the browser tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Figures render as HTML that loads the plotly.js the book serves (see kernel_ssl.display).
export KERNEL_SSL_RENDERER := book
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0

.PHONY: book test venv clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --builder html -n --keep-going
	@test -n "$$(ls _build/html/book/*.html 2>/dev/null)" || { echo "no chapter pages were built"; exit 1; }

test: $(STAMP)
	$(BIN)/python -m pytest tests

clean:
	rm -rf _build
