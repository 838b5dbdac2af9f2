# Two commands do everything: `make run` and `make test` (each sets up .venv first).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
EXTRAS ?= test

.PHONY: run demo test lint bench setup locales clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/borderpass serve $(ARGS)

demo: $(STAMP)
	$(VENV)/bin/borderpass serve --demo $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check borderpass tests bench
	$(VENV)/bin/mypy borderpass

bench: $(STAMP)
	$(PY) bench/api.py
	$(PY) bench/ocr.py
	$(PY) bench/gate.py
	$(PY) bench/notify.py
	$(PY) bench/bot.py
	$(PY) bench/sealing.py

locales: $(STAMP)
	$(PY) scripts/update_locales.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
