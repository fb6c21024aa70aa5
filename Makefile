# The two commands of the README: `make demo` and `make test`. Each sets up .venv on first use.
# `make test PYTHON=python3.12 VENV=.venv-3.12` runs them under another interpreter in its own
# venv; `make pytest-3.12` finds a working 3.12 (PATH, pyenv, uv) and runs the suite with it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck docs pytest pytest-3.12 generate bench clean setup-browser \
	screenshots

$(STAMP): pyproject.toml runtime/pyproject.toml generator/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=25.1"
	$(BIN)/python -m pip install -q -e "./runtime[app,console,email,metrics,tracing]" -e ./generator --group dev
	touch $(STAMP)

## Generate typed code from schemas/, start the emulator, publish and receive the example messages.
demo: $(STAMP)
	$(BIN)/pubsub-gen schemas/
	$(BIN)/python -m examples.demo

## Everything CI runs: lint, format check, mypy --strict on both packages and the golden record,
## the documentation site (strict), the tests.
test: lint typecheck docs pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The golden cases' outputs (tests/generator/golden/<case>/expected/<package>): one mypy run
# checks them with everything else, each expected/ folder on MYPYPATH like generated_example/.
GOLDEN_OUT := $(wildcard tests/generator/golden/*/expected)
empty :=
space := $(empty) $(empty)

typecheck: $(STAMP)
	MYPYPATH=$(subst $(space),:,generated_example $(GOLDEN_OUT)) $(BIN)/mypy runtime/pubsub_runtime \
		generator/pubsub_gen generated_example/example_events $(wildcard $(GOLDEN_OUT:=/*)) \
		bench examples

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(VENV)/site

pytest: $(STAMP) setup-browser
	$(BIN)/pytest

## The test suite again under Python 3.12 (the runtime takes the eager task start there), in
## .venv-3.12/. Fails when no working 3.12 is found: CI runs both (.ci/run).
pytest-3.12:
	py312="$$($(PYTHON) -m bench.find_python 3.12)" && \
		$(MAKE) --no-print-directory pytest PYTHON="$$py312" VENV=.venv-3.12

## The browser of the console's tests: Debian's chromium (Playwright drives it; it downloads no
## browser of its own). Done as root where apt-get exists (CI); elsewhere the tests say what is missing.
setup-browser:
	@command -v chromium >/dev/null || ! command -v apt-get >/dev/null || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## Retake the console's screenshots in docs/img/ (the browser tests take them).
screenshots: $(STAMP) setup-browser
	CONSOLE_SCREENSHOTS=docs/img $(BIN)/pytest -q tests/runtime/test_console_browser.py

## Regenerate every golden record from scratch: generated_example/ from schemas/, and each case
## under tests/generator/golden/ (`make generate CASES="avro_only ..."` for some only).
generate: $(STAMP)
	$(BIN)/python tests/generator/golden_cases.py $(CASES)

bench: $(STAMP)
	$(BIN)/python -m bench all

clean:
	rm -rf .venv .venv-3.12 .pytest_cache .mypy_cache .ruff_cache
