# Two commands do everything: `make run` (train experiment 1.7) and `make test`.
# Both create .venv on first use. torch is pinned first so pip takes the local CPU
# build; installing the rest afterwards finds torch already satisfied (no CUDA wheels).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/colorlatent: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

.PHONY: install run test test-slow clean
install: $(BIN)/colorlatent

run: install  ## train experiment 1.7 with its published defaults
	$(BIN)/python experiments/ex_1_7.py

test: install  ## the default (fast) test suite
	$(BIN)/python -m pytest -q

test-slow: install  ## full-length end-to-end runs
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) *.egg-info
