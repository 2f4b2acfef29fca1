# The two commands of the README. Each creates .venv on a machine that has only Python,
# installs trialkit with the pinned versions in requirements/constraints.txt (pinned so
# that notebook outputs checked by nbval do not drift with upstream releases), then runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TRIAL  ?= all
JOBS   ?= 2
PYTEST_ARGS ?=

.PHONY: report test lint bench clean venv docs

venv: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[test,docs]"
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 > /dev/null
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/trialkit report --trial $(TRIAL)

# One pytest run: the unit and R-reference tests, the docstring examples, the slow end-to-end
# tests (the third trial's report, the wheel in a clean venv, the docs site), then nbval
# re-executes every committed notebook in notebooks/ and compares its outputs (sanitized for
# what cannot be fixed). JOBS workers, each test file (each notebook) kept whole on one worker.
test: $(STAMP)
	$(BIN)/python -m pytest tests trialkit notebooks --doctest-modules \
		--nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --ignore=tests/fixtures \
		-n $(JOBS) --dist loadfile $(PYTEST_ARGS)

# The documentation site (docs/): the committed notebooks rendered, not re-executed, and the API
# reference from the docstrings; offline, with every warning an error. -> docs/_build/html
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -n -b html -d docs/_build/doctrees docs docs/_build/html

lint: $(STAMP)
	$(BIN)/ruff check trialkit tests benchmarks

# Every script in benchmarks/, each in a fresh interpreter; when all of them
# ran and none failed, benchmarks/run_all.py rewrites the README's speed table between its
# marker lines from the rows they measured (a partial run: benchmarks/run_all.py NAME ...).
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) reports .pytest_cache .hypothesis
