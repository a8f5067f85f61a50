# One task runner for earmark: `make demo`, `make test` (lint + types + tests), `make studio`, `make bench`.
# Every target sets up what it needs: a virtual environment in .venv with the CPU build of
# PyTorch (torch==2.13.0 is installed first so that the plain `torch` requirement does not
# pull a multi-GB CUDA build), and for the studio's browser tests Debian's Chromium (Playwright
# drives it; `playwright install` is never run: it downloads from outside), Firefox ESR, WebKitGTK and
# PulseAudio, and onnxruntime-web from npm.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.earmark-installed

# the studio's browser tests: Chromium (through Playwright), Firefox (over WebDriver BiDi) and WebKit
# (WebKitGTK's WebDriver, on an Xvfb display), the last two with a private PulseAudio server as their
# sound card and microphone
BROWSERS := /usr/bin/chromium /usr/bin/firefox-esr /usr/bin/WebKitWebDriver /usr/bin/Xvfb /usr/bin/pulseaudio \
	/usr/bin/paplay /usr/share/doc/gstreamer1.0-pulseaudio/copyright
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# onnxruntime-web from npm, for the test that runs a web export (`earmark export --web`) in Chromium
WEB_RUNTIME := tests/browser/web-runtime
ORT_WEB := $(WEB_RUNTIME)/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs

.PHONY: setup demo studio test test-oldest lint types pytest screenshots bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/earmark demo

studio: setup
	$(VENV)/bin/earmark studio

$(BROWSERS) &:
	@command -v apt-get >/dev/null || { echo "install $(BROWSERS) for the browser tests"; exit 1; }
	$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver \
		firefox-esr webkit2gtk-driver xvfb pulseaudio pulseaudio-utils gstreamer1.0-pulseaudio

$(ORT_WEB): $(WEB_RUNTIME)/package-lock.json
	command -v npm >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q npm; }
	npm ci --prefix $(WEB_RUNTIME) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks scripts

types: setup
	$(VENV)/bin/mypy

# The tests without a browser in two worker processes (pytest-xdist, each taking the next test as it
# finishes one: 3.6 min against 5.3 in one process on 2 cores), then the browser tests in one process:
# their live-listening checks (updates a second, pitch heard through a fake microphone) are real-time, and
# two browsers capturing side by side on 2 cores missed them. Both halves run, and either failing fails.
pytest: setup $(BROWSERS) $(ORT_WEB)
	@status=0; \
	$(PY) -m pytest -q -n 2 --dist worksteal --ignore=tests/browser tests || status=1; \
	$(PY) -m pytest -q tests/browser || status=1; \
	exit $$status

test: lint types pytest

# The tests without a browser against the oldest release of each dependency that pyproject.toml allows
# (scripts/oldest_deps.py), in a virtual environment of their own: the floors stay versions that were run.
# Not part of `make test` (3 more minutes, and a second environment to install); run it when a floor moves.
OLDEST := .venv-oldest
test-oldest:
	test -x $(OLDEST)/bin/python || python3 -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0
	$(OLDEST)/bin/python -m pip install -q --disable-pip-version-check --prefer-binary -e '.[dev]' $$(python3 scripts/oldest_deps.py)
	$(OLDEST)/bin/python -m pip list --format=freeze | grep -i -E '^(numpy|scipy|soundfile|av|soxr|safetensors|torch|click|tqdm|matplotlib|onnx|onnxscript|fastapi|starlette|uvicorn|python-multipart)=='
	$(OLDEST)/bin/python -m pytest -q -n 2 --dist worksteal --ignore=tests/browser tests

# rewrite docs/screenshots/*.png from the browser tests (a plain test run writes them to a temp folder)
screenshots: setup $(BROWSERS) $(ORT_WEB)
	EARMARK_SCREENSHOTS=1 $(PY) -m pytest -q -m browser tests/browser

bench: setup
	$(PY) benchmarks/run_benchmark.py

clean:
	rm -rf $(VENV) $(OLDEST) .pytest_cache .mypy_cache .ruff_cache earmark-demo-output
