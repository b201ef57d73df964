# Set-up is two commands: `make demo` and `make test`. Both create .venv and
# install the project with its pinned dependencies (constraints.txt) first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
UPSTREAM ?=
# Apollo's composition and gateway, The Guild's composer and Hive Gateway (Node), for tests/federation;
# skipped without npm.
FEDERATION := tests/federation
NODE_INSTALLED := $(FEDERATION)/node_modules/.installed
# graphql-http's GraphQL-over-HTTP audits (Node), for tests/http_audit; skipped without npm.
HTTP_AUDIT := tests/http_audit
HTTP_AUDIT_INSTALLED := $(HTTP_AUDIT)/node_modules/.installed
# Apollo Client and the graphql-ws client (Node), subscribed by tests/live; skipped without npm.
LIVE := tests/live
LIVE_INSTALLED := $(LIVE)/node_modules/.installed
NPM := $(shell command -v npm 2>/dev/null)
# GraphiQL's browser bundles, served by the gateway itself; without npm its page uses a CDN.
GRAPHIQL := gateway/graphiql
GRAPHIQL_ASSETS := $(GRAPHIQL)/node_modules/.vendored
ASSETS := $(if $(NPM),$(GRAPHIQL_ASSETS))

.PHONY: install demo serve simulator test lint mutation mutation-survivors mutation-kills schema clean bench bench-profile bench-path bench-validation bench-peer bench-live soak

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

install: $(INSTALLED) $(ASSETS)

$(GRAPHIQL_ASSETS): $(GRAPHIQL)/package.json $(GRAPHIQL)/package-lock.json $(GRAPHIQL)/vendor.mjs
	npm ci --prefix $(GRAPHIQL) --ignore-scripts --no-audit --no-fund --loglevel=error
	node $(GRAPHIQL)/vendor.mjs
	touch $@

$(NODE_INSTALLED): $(FEDERATION)/package.json $(FEDERATION)/package-lock.json
	npm ci --prefix $(FEDERATION) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(HTTP_AUDIT_INSTALLED): $(HTTP_AUDIT)/package.json $(HTTP_AUDIT)/package-lock.json
	npm ci --prefix $(HTTP_AUDIT) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(LIVE_INSTALLED): $(LIVE)/package.json $(LIVE)/package-lock.json
	npm ci --prefix $(LIVE) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

demo: $(INSTALLED) $(ASSETS)  ## the gateway in front of the bundled simulator
	$(BIN)/pieces-gateway demo --activity 5

serve: $(INSTALLED) $(ASSETS)  ## the gateway in front of a Pieces OS: make serve UPSTREAM=http://127.0.0.1:39300
	$(BIN)/pieces-gateway serve $(if $(UPSTREAM),--upstream $(UPSTREAM))

simulator: $(INSTALLED)
	$(BIN)/pieces-gateway simulator

test: $(INSTALLED) $(ASSETS) $(if $(NPM),$(NODE_INSTALLED) $(HTTP_AUDIT_INSTALLED) $(LIVE_INSTALLED))
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check gateway schema tests bench
	$(BIN)/ruff format --check gateway schema tests bench
	$(BIN)/mypy

# mutmut over the hand-written modules ([tool.mutmut] in pyproject.toml), then the kill rate per
# module: see tests/MUTATION.md. It runs in MUTATION_DIR, a copy of HEAD (and of GraphiQL's built
# bundles), so that no uncommitted work is mutated. mutmut keeps its results in MUTATION_DIR's
# mutants/ and runs only the mutants it has none for (a function that changed has none: tar -m
# dates every file now, so mutmut rereads each), or those MUTANTS names ('schema._limits.*'):
# rm -rf $(MUTATION_DIR) to start over.
MUTANTS ?=
MUTATION_CHILDREN ?= 1
MUTATION_DIR ?= /tmp/pieces-gateway-mutation
mutation: $(INSTALLED)
	mkdir -p $(MUTATION_DIR)
	find $(MUTATION_DIR) -mindepth 1 -maxdepth 1 ! -name mutants -exec rm -rf {} +
	git archive HEAD | tar -x -m -C $(MUTATION_DIR)
	# GraphiQL's bundles (installed, not committed): for the tests of the page that uses them.
	if [ -d gateway/static ]; then \
		mkdir -p $(MUTATION_DIR)/mutants/gateway; \
		cp -R gateway/static $(MUTATION_DIR)/gateway/; \
		cp -R gateway/static $(MUTATION_DIR)/mutants/gateway/; \
	fi
	ln -s $(abspath $(VENV)) $(MUTATION_DIR)/$(VENV)
	cd $(MUTATION_DIR) && $(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) $(MUTANTS)
	cd $(MUTATION_DIR) && $(BIN)/python -m tests.mutation_fresh --workers $(MUTATION_CHILDREN) $(MUTANTS)
	cd $(MUTATION_DIR) && $(BIN)/python -m tests.mutation_report

# HEAD's tests, and the README some of them read, into the run's snapshot and its mutants/.
define tests_at_head
	rm -rf $(MUTATION_DIR)/tests $(MUTATION_DIR)/mutants/tests
	git archive HEAD tests README.md | tar -x -m -C $(MUTATION_DIR)
	cp -R $(MUTATION_DIR)/tests $(MUTATION_DIR)/README.md $(MUTATION_DIR)/mutants/
endef

# After a `make mutation`: its survivors (those MUTANTS names), each tried again in a fresh
# process with HEAD's tests, without mutmut's re-run of every mutant of their functions.
mutation-survivors: $(INSTALLED)
	$(tests_at_head)
	cd $(MUTATION_DIR) && $(BIN)/python -m tests.mutation_fresh --survivors --workers $(MUTATION_CHILDREN) $(MUTANTS)
	cd $(MUTATION_DIR) && $(BIN)/python -m tests.mutation_report

# After a `make mutation`: the survivors KILLS names (JSON lines of a mutant and the pytest
# arguments of the test written to kill it), each tried with that test alone at HEAD.
KILLS ?= tests/mutation_kills.jsonl
mutation-kills: $(INSTALLED)
	$(tests_at_head)
	cd $(MUTATION_DIR) && $(BIN)/python -m tests.mutation_fresh --kills $(abspath $(KILLS)) --workers $(MUTATION_CHILDREN) $(MUTANTS)
	cd $(MUTATION_DIR) && $(BIN)/python -m tests.mutation_report

schema: $(INSTALLED)  ## regenerate the generated modules and the printed SDL
	$(BIN)/python -m schema.codegen
	$(BIN)/pieces-gateway schema > schema/schema.graphql

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(FEDERATION)/node_modules $(HTTP_AUDIT)/node_modules \
		$(LIVE)/node_modules $(GRAPHIQL)/node_modules gateway/static/graphiql bench/peer/node_modules mutants

# Loopback benchmark, ~2 minutes (BENCH_SECONDS per row, default 10): see bench/README.md.
# Installs wrk with apt-get when it is missing and we are root; else a Python load generator.
WRK := $(shell command -v wrk 2>/dev/null)
bench: $(INSTALLED)
	@$(if $(WRK),true,[ "$$(id -u)" = 0 ] && (apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk)) >/dev/null 2>&1 || echo "wrk unavailable: using the slower Python load generator")
	$(BIN)/python -m bench

bench-profile: $(INSTALLED)  ## py-spy on the gateway under load: bench/results/profile.md
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(BIN)/python -m bench.profile

bench-path: $(INSTALLED)  ## the project functions a warm small read passes through, and its CPU
	$(BIN)/python -m bench.path

bench-validation: $(INSTALLED)  ## hostile documents grown until refused: the worst validation time admitted
	$(BIN)/python -m bench.validation

# GraphQL Mesh (mesh-compose + hive-gateway, pinned in bench/peer) in the same table: needs npm.
PEER := bench/peer
PEER_INSTALLED := $(PEER)/node_modules/.installed
$(PEER_INSTALLED): $(PEER)/package.json $(PEER)/package-lock.json
	npm ci --prefix $(PEER) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

bench-peer: $(INSTALLED) $(PEER_INSTALLED)  ## make bench plus Mesh's rows: bench/results/latest.md
	$(BIN)/python -m bench --peer

bench-live: $(INSTALLED)  ## 10 and 1,000 subscribers on one gateway, 30 s of changes: bench/results/live.md
	$(BIN)/python -m bench.live

soak: $(INSTALLED)  ## SOAK_SECONDS (default 60) of mixed load with faults: bench/results/soak.md
	$(BIN)/python -m bench.soak
