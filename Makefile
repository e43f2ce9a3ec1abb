# Two commands do all set-up on a fresh machine:
#   make demo   build .venv and run the whole pipeline on the bundled sample study
#   make test   build .venv with the test tools and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the charts (CJK glyphs), the report test (headless browser) and the
# check of design-based estimates against R (survey; MASS for its ordered logit) need.
SYSTEM_PACKAGES := fonts-noto-cjk chromium r-cran-survey r-cran-mass

.PHONY: demo test lint system-packages benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# Installs what is missing when we may (root with apt-get); otherwise says what to install.
system-packages:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null; \
	  else \
	    echo "Please install these system packages (e.g. sudo apt-get install$$missing)"; \
	  fi; \
	fi

demo: system-packages $(VENV)/.installed
	$(BIN)/dmsurvey demo -o reports/demo

test: system-packages $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

benchmark: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) build dist reports/demo
