# The two commands: `make demo` and `make test`. Everything they need is set up on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test pytest lint typecheck engine venv bench chaos clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,examples]'
	touch $(STAMP)

venv: $(STAMP)

engine:
	@scripts/ensure-pulumi >/dev/null

demo: $(STAMP)
	$(PY) scripts/demo.py --engine "$$(scripts/ensure-pulumi)"

test: lint typecheck pytest

pytest: $(STAMP)
	AFI_PULUMI_BIN="$$(scripts/ensure-pulumi)" $(PY) -m pytest -ra -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	AFI_PULUMI_BIN="$$(scripts/ensure-pulumi)" $(PY) bench/run.py

chaos: $(STAMP)
	AFI_CHAOS_REPORT=docs/chaos.md AFI_PULUMI_BIN="$$(scripts/ensure-pulumi)" \
		$(PY) -m pytest -ra tests/chaos $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .demo build dist *.egg-info
