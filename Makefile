# Two commands on a fresh machine with only Python 3.11+ and pip: `make demo` and `make test`.
# uv is bootstrapped into .tools/ when it is not already on PATH; it then installs the locked deps.
PYTHON ?= python3
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)

.PHONY: demo test lint format sync bench eval serve clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

sync: $(UV)
	$(UV) sync --frozen --quiet --extra scaleout

demo: sync
	$(UV) run helpdesk demo

test: sync
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	LANGSMITH_TRACING=false LANGCHAIN_TRACING_V2=false $(UV) run pytest -q -n 2 --dist loadfile

lint: sync
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format: sync
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

bench: sync
	$(UV) run python bench/router_latency.py
	$(UV) run python bench/retrieval_latency.py
	$(UV) run python bench/graph_latency.py

eval: sync
	$(UV) run helpdesk eval

serve: sync
	$(UV) run helpdesk serve

clean:
	rm -rf .tools .venv .helpdesk .pytest_cache .ruff_cache
