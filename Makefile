# The two commands of the README: `make run` (local stack + example workflow) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test venv build unit lint

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

build:
	cargo build --workspace

test: venv
	cargo test --workspace
