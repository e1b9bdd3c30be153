# PlanDesk: `make run` opens the app on the demo database; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.plandesk-installed
DEMO_DB ?= .demo/plandesk-demo.db
OFFSCREEN := QT_QPA_PLATFORM=offscreen
SCREEN := 1366x768x24

.PHONY: setup run demo test test-fast bench package screenshots lint clean

$(STAMP): pyproject.toml
	@bash packaging/system-deps.sh test
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,build]'
	@touch $(STAMP)

setup: $(STAMP)

demo: setup $(DEMO_DB)

# Rebuilt when the demo or the schema changes (it is demo data: nothing of a user's is in it).
$(DEMO_DB): desktop/models/demo.py desktop/models/migrations.py resources/demo/tongnan.json | $(STAMP)
	@rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/plandesk --db $(DEMO_DB) demo
	@echo "演示数据库：$(DEMO_DB)；演示账号 admin / shenhe / s01…s09 / chakan，密码 plandesk-demo"

run: setup demo
	@bash packaging/system-deps.sh gui
	$(BIN)/plandesk-gui --db $(DEMO_DB)

test: setup
	@bash packaging/system-deps.sh checks --optional
	$(OFFSCREEN) $(BIN)/pytest -q

test-fast: setup
	$(OFFSCREEN) $(BIN)/pytest -q -m "not gui and not slow"

bench: setup
	$(OFFSCREEN) $(BIN)/python bench/run.py
	$(OFFSCREEN) $(BIN)/python bench/import_bench.py
	$(OFFSCREEN) $(BIN)/python bench/aggregate_bench.py

package: setup
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/pyinstaller packaging/plandesk.spec
	@echo "bundle size: $$(du -sh dist/plandesk | cut -f1)  (dist/plandesk)"
	@rm -f build/smoke.db
	$(OFFSCREEN) dist/plandesk/plandesk --smoke --db build/smoke.db

screenshots: setup demo
	@bash packaging/system-deps.sh screenshots
	rm -f docs/screenshots/*.png
	xvfb-run -a -s "-screen 0 $(SCREEN)" $(BIN)/plandesk-gui --db $(DEMO_DB) \
		--screenshots docs/screenshots
	@ls docs/screenshots

lint: setup
	$(BIN)/ruff check desktop tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf build dist .demo .pytest_cache .mypy_cache .ruff_cache
