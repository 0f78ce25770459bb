# The two commands a newcomer needs: `make book` and `make test`. Both set up .venv when missing.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

# Tests validate the chapters in quick mode (small data subsets) unless told otherwise.
BOOK_QUICK ?= 1
export BOOK_BATCH = 1

.PHONY: help install book test test-compat benchmark execute execute-quick format freeze clean

help:
	@echo "make book           build the static site into _build/html"
	@echo "make test           run every test (helpers, workflows, notebooks with nbval, book build)"
	@echo "make test-compat    chapters (quick) and helpers' tests on Colab's runtimes and the oldest declared versions"
	@echo "make benchmark      measure throughput and chapter times; writes book/benchmark.md"
	@echo "make execute        re-run every chapter in full mode, two at a time, and store the outputs (slow)"
	@echo "make execute-quick  the same in quick mode, outputs not stored (a smoke test)"
	@echo "make format         format the code: chapters to 79 columns (the book's width), the rest to 100"
	@echo "make freeze         re-pin requirements.txt from the current environment"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $(STAMP)

install: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

# Two workers (pytest-xdist), each notebook whole on one of them: the machine's two cores both busy.
# tests/conftest.py orders the files: the site's build beside the slowest chapter, long ones first.
TEST_WORKERS ?= 2

test: $(STAMP)
	BOOK_QUICK=$(BOOK_QUICK) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-compat: $(STAMP)
	$(BIN)/python tools/compat.py

benchmark: $(STAMP)
	$(BIN)/python tools/benchmark.py --make-test

execute: $(STAMP)
	$(BIN)/python tools/execute.py --mode full --jobs 2 chapters/*.ipynb

execute-quick: $(STAMP)
	$(BIN)/python tools/execute.py --mode quick --no-write --jobs 2 chapters/*.ipynb

format: $(STAMP)
	$(BIN)/black --quiet --line-length 79 chapters
	$(BIN)/black --quiet helpers tools tests

freeze: $(STAMP)
	{ sed -n '1,2p' requirements.txt; $(BIN)/python -m pip freeze --exclude-editable; } > requirements.new && mv requirements.new requirements.txt

clean:
	rm -rf _build chapters/images
