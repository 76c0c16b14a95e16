# The two commands of the README: `make run` serves the demo, `make test` passes the tests.
# Both install what they need first (uv, then the locked dependencies): `make run` only what serving needs
# (no torch, no CUDA: embeddings run on ONNX Runtime), `make test` everything (the `train` and `dev` groups too).
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: uv setup setup-run run test lint

# A Debian-packaged Python refuses user installs unless told (PEP 668); uv is a standalone binary, so it is safe.
uv:
	@test -x "$(UV)" || python3 -m pip install --quiet --user uv 2>/dev/null \
		|| python3 -m pip install --quiet --user --break-system-packages uv

setup: uv
	@"$(UV)" sync --frozen --quiet

# --inexact: a full environment (after `make test`) is kept as it is, not stripped down.
setup-run: uv
	@"$(UV)" sync --frozen --quiet --inexact --no-default-groups

run: setup-run
	@HF_HUB_OFFLINE=1 "$(UV)" run --frozen --no-sync approche-directe

lint: setup
	"$(UV)" run --frozen --no-sync ruff check .
	"$(UV)" run --frozen --no-sync ruff format --check matcher api indices tests scripts bench
	"$(UV)" run --frozen --no-sync mypy
	"$(UV)" run --frozen --no-sync lint-imports

test: lint
	HF_HUB_OFFLINE=1 "$(UV)" run --frozen --no-sync pytest
	HF_HUB_OFFLINE=1 "$(UV)" run --frozen --no-sync pytest --nbmake --nbmake-timeout=1800 notebooks
