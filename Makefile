# Two commands do everything: `make run` and `make test` (each sets up .venv first).
# Installs come from the hashed lock of the chosen extras (requirements/*.txt, see docs/operations.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test
UV_VERSION := 0.13.8
comma := ,
empty :=
space := $(empty) $(empty)
# EXTRAS=test → requirements/test.txt; EXTRAS=test,paddle → requirements/paddle-test.txt.
LOCK_NAME := $(subst $(space),-,$(sort $(subst $(comma),$(space),$(EXTRAS))))
LOCK := requirements/$(if $(LOCK_NAME),$(LOCK_NAME),base).txt
# The stamp changes with the lock's text, the extras and pyproject.toml (entry points).
STAMP := $(VENV)/.installed-$(shell cat $(LOCK) pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)-$(LOCK_NAME)

.PHONY: run demo test lint bench setup locales clean lock upgrade client client-check

$(STAMP): $(LOCK) pyproject.toml
	@test -f $(LOCK) || { echo "no lock $(LOCK) for EXTRAS=$(EXTRAS)" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r $(LOCK)
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/borderpass serve $(ARGS)

# borderpass_dev/ (the fake WeChat) is not installed: demo and benches find it in the checkout.
demo bench: export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

demo: $(STAMP)
	$(VENV)/bin/borderpass serve --demo $(ARGS)

# -rs prints why each skipped test skipped (missing samples, fonts, browser, services).
test: $(STAMP)
	$(PY) -m pytest -q -rs $(ARGS)

lint: $(STAMP)
	$(PY) scripts/check_lock.py
	$(VENV)/bin/ruff check borderpass borderpass_dev tests bench scripts
	$(VENV)/bin/mypy borderpass borderpass_dev
	$(VENV)/bin/lint-imports

# After editing pyproject.toml (a new dependency): adds it to every lock, keeping other pins.
lock: $(VENV)/bin/uv
	UV=$(VENV)/bin/uv scripts/lock.sh

# Deliberately moves every pin to the newest release pyproject.toml's ranges allow.
upgrade: $(VENV)/bin/uv
	UV=$(VENV)/bin/uv scripts/lock.sh --upgrade

$(VENV)/bin/uv:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)

# Benchmarks CREATE/DROP the PostgreSQL database BENCH_DB-<name> and FLUSH Redis databases
# BENCH_REDIS/12..14: name ones used by nothing else (see docs/benchmarks.md).
BENCH_PG ?= postgres://postgres@127.0.0.1:5432/postgres
BENCH_DB ?= borderpass_bench
BENCH_REDIS ?= redis://127.0.0.1:6379
bench: $(STAMP)
	$(PY) bench/api.py --pg $(BENCH_PG) --bench-db $(BENCH_DB)_api --redis $(BENCH_REDIS)/14
	$(PY) bench/ocr.py
	$(PY) bench/gate.py --pg $(BENCH_PG) --bench-db $(BENCH_DB)_gate --redis $(BENCH_REDIS)/13
	$(PY) bench/notify.py --pg $(BENCH_PG) --bench-db $(BENCH_DB)_notify --redis $(BENCH_REDIS)/14
	$(PY) bench/bot.py --pg $(BENCH_PG) --bench-db $(BENCH_DB)_bot --redis $(BENCH_REDIS)/12
	$(PY) bench/sealing.py

# The mini-program's TypeScript types from the OpenAPI document (clients/miniapp, npm).
client: $(STAMP)
	$(PY) scripts/export_openapi.py clients/miniapp/openapi.json
	cd clients/miniapp && npm ci --no-audit --no-fund --loglevel=error \
	  && npx openapi-typescript openapi.json -o src/api.d.ts

# Regenerates the types from the current code and type-checks the sample client with tsc.
client-check: client
	cd clients/miniapp && npx tsc --noEmit -p .
	@git diff --quiet -- clients/miniapp/openapi.json clients/miniapp/src/api.d.ts 2>/dev/null \
	  || echo "note: the API changed: commit clients/miniapp/openapi.json and src/api.d.ts"

locales: $(STAMP)
	$(PY) scripts/update_locales.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache clients/miniapp/node_modules
