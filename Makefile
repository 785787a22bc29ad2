# Two commands for a newcomer: `make demo` (the main job) and `make test`. `make ui` opens the UI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/data/dagster_home

.PHONY: install demo test ui bench clean

install: $(VENV)/.installed

# torch first, pinned: an unpinned torch pulled in by a dependency would be a multi-GB GPU build.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

$(DAGSTER_HOME)/dagster.yaml: deploy/local/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp $< $@

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m asknews_assets.demo

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

ui: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf data/warehouse data/models data/publish data/cache $(DAGSTER_HOME)
