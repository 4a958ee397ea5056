# PartnerGraph: two commands on a fresh machine.
#   make demo   creates .venv (Python >= 3.12), installs, runs `partnergraph demo` on the embedded default
#   make test   creates .venv with test extras, builds the Neo4j test server, installs Chromium
#               (when missing and apt-get is usable), then runs pytest
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

# A Python >= 3.12 (3.12 preferred: the version everything is measured on): $(PYTHON) if given,
# else python3.12/python3.13 on PATH, else pyenv's versions (3.12.x first).
PYTHON ?= $(shell \
  for c in python3.12 python3.13; do \
    p=$$(command -v $$c 2>/dev/null) && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
  done; \
  root=$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv); \
  for p in $$(ls -d $$root/versions/3.12*/bin/python3 2>/dev/null | sort -Vr) \
           $$(ls -d $$root/versions/3.1[3-9]*/bin/python3 2>/dev/null | sort -V); do \
    $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
  done)

.PHONY: demo test lint bench neo4j-server browser clean check-python lock

check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: PartnerGraph needs Python >= 3.12; none found on PATH or in pyenv." >&2; \
	  echo "       install one (e.g. pyenv install 3.12) or run: make PYTHON=/path/to/python3.12 ..." >&2; \
	  exit 1; fi

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-cache-dir --upgrade pip

# constraints.txt pins the whole tested dependency set (refresh with `make lock`), so a clean
# install resolves at once and matches what CI ran.
# torch from PyPI brings CUDA libraries: the venv takes 6.7 GB, and pip needs 10.4 GB free at its
# peak (measured with --no-cache-dir, which keeps pip from holding a second copy of every wheel).
INSTALL_PEAK_MB := 10700
define check_disk
	@free=$$(df -Pm . | awk 'NR==2 {print $$4}'); \
	if [ -n "$$free" ] && [ "$$free" -lt $(INSTALL_PEAK_MB) ]; then \
	  echo "warning: $$free MB free on $$(df -P . | awk 'NR==2 {print $$6}'); the install needs about $(INSTALL_PEAK_MB) MB at its peak" >&2; \
	  echo "         (pip fails with 'No space left on device' when it runs out)" >&2; fi
endef

$(VENV)/.installed-demo: pyproject.toml constraints.txt | $(BIN)/python
	$(check_disk)
	$(BIN)/pip install --quiet --no-cache-dir -c constraints.txt -e '.[all]'
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(check_disk)
	$(BIN)/pip install --quiet --no-cache-dir -c constraints.txt -e '.[all,test]'
	touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(BIN)/partnergraph demo

NEO4J_JAR := tests/neo4j-server/target/partnergraph-neo4j-server.jar
neo4j-server: $(NEO4J_JAR)
$(NEO4J_JAR): tests/neo4j-server/pom.xml $(shell find tests/neo4j-server/src -type f 2>/dev/null)
	@if command -v mvn >/dev/null && command -v java >/dev/null; then \
	  echo "building the Neo4j test server (mvn -q package)"; \
	  cd tests/neo4j-server && mvn -q -B package -DskipTests; \
	else echo "warning: java/mvn not found; Neo4j tests will skip (or fail where required)" >&2; fi

# Debian's chromium + chromium-driver for dash_duo, and docker-compose to validate the compose file.
browser:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null; \
	  else echo "warning: missing$$missing (install them to run browser/compose tests)" >&2; fi; \
	fi

test: $(VENV)/.installed-test neo4j-server browser
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(VENV)/.installed-test neo4j-server
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/query.py

lock: $(VENV)/.installed-test
	$(BIN)/pip freeze --exclude-editable | grep -v '^partnergraph' > constraints.txt

clean:
	rm -rf $(VENV) tests/neo4j-server/target .pytest_cache .mypy_cache .ruff_cache
