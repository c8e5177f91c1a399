# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export TF_CPP_MIN_LOG_LEVEL ?= 2
STAMP := $(VENV)/.installed

.PHONY: demo demo-run test test-fast lint notebooks venv system bench screenshots lock clean

$(STAMP): setup.py pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements/constraints.txt -e '.[dev]'
	touch $@

# require.js + @jupyter-widgets/html-manager for seernn_widgets.export_html (npm pack)
JSDEPS := $(VENV)/share/seernn_widgets/VERSIONS
$(JSDEPS): scripts/fetch-js-deps $(STAMP) | system
	scripts/fetch-js-deps $(VENV)/share/seernn_widgets

venv: $(STAMP) $(JSDEPS)

system:
	@scripts/ensure-system-packages

# JupyterLab on 127.0.0.1 with notebooks/quickstart.ipynb open; prints the URL
# with its token (no browser is started). Text-only demo: $(PY) -m seernn_widgets.demo
demo: venv
	$(PY) scripts/lab_demo.py notebooks/quickstart.ipynb

# The embedded model trains in a background process for a few minutes, recording a run
# (seernn_widgets.Recorder), while a Voila dashboard on 127.0.0.1 follows it
# (python -m seernn_widgets.view RUN); prints the URL. Ctrl-C stops both.
demo-run: venv
	$(PY) scripts/run_demo.py

test: venv system
	$(PY) -m pytest -q --durations=40

# The quick loop while editing (under 2 minutes on 2 cores): no browser, none of the
# modules tests/conftest.py marks slow. `make test` runs those too.
test-fast: venv
	$(PY) -m pytest -q -m "not browser and not slow"

# ruff, configured in pyproject.toml; `$(VENV)/bin/ruff check --fix .` fixes what it can.
lint: venv
	$(VENV)/bin/ruff check .

# Rewrite notebooks/*.ipynb (no outputs) from their percent-format scripts notebooks/*.py.
notebooks: venv
	$(VENV)/bin/jupytext -q --update --to ipynb notebooks/*.py

bench: venv system
	for script in bench/*.py; do $(PY) $$script || exit 1; done

# Regenerate the README's gallery (docs/img/) from the browser tests' screenshots.
screenshots: venv system
	scripts/gallery-screenshots

# Re-pin requirements/constraints.txt to what the venv has now.
lock: venv
	$(PY) -m pip freeze --exclude-editable > requirements/constraints.txt

clean:
	rm -rf $(VENV) tests/artifacts
