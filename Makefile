# The README's two commands: `make run` (local stack + example workflow) and `make test`
# (every test). Both work on a fresh clone: they install the pinned Python tools into .venv.
VENV := .venv
SAM := $(VENV)/bin/sam
FUNCTIONS := create-approval-links wait-for-approval send-email decision-api slack-request-action slack-expiry-sweeper

.PHONY: run test venv build unit e2e lint sam-validate sam-build bench load

$(VENV)/.installed: requirements-dev.txt
	@command -v python3 >/dev/null || { echo "python3 (3.11+) is needed: install it first"; exit 1; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

build:
	cargo build --workspace

## The local stack: moto + the real function binaries + the HttpApi + the example workflow.
run: venv build
	target/debug/hitl-local up

## Everything CI runs.
test: lint unit e2e sam-validate sam-build

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

unit: venv
	cargo test --workspace --exclude e2e_tests

# End-to-end tests start their own local stack (ports chosen freely) per test binary.
e2e: venv build
	cargo test -p e2e_tests -- --test-threads 4

# cfn-lint with the serverless rules (tracing, log retention, API throttling and access logs);
# a warning we accept is suppressed on its resource in template.yaml, with the reason.
sam-validate: venv
	$(SAM) validate --lint
	$(VENV)/bin/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml

# This machine has only the x86_64 Rust std: build x86_64 here, arm64 on AWS.
sam-build: venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM) build --beta-features --config-env local

## Benchmarks (not tests): size, cold start, p50/p99 latency and peak memory per function.
bench: venv build
	cargo build --release $(addprefix --bin ,$(FUNCTIONS))
	cargo run --release -p bench -- --events 300

## Load under faults (a command, not a timed test): 1,000 email and 200 Slack executions, each
## clicked three times at once, with SendTaskSuccess failures and killed Decision API processes.
## Asserts 0 double, 0 lost, 0 left running; prints the time to drain and re-delivery latency.
load: venv build
	target/debug/hitl-load $(LOAD_ARGS)
