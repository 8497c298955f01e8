# The README's two commands: `make run` (local stack + example workflow) and `make test`
# (every test). Both work on a fresh clone: they install the pinned Python tools into .venv.
VENV := .venv
SAM := $(VENV)/bin/sam
# Lists every function SAM builds (the `Binary` of each function's BuildProperties in
# template.yaml) with the template reader the local stack and the tests use (crates/sam_template).
TEMPLATE_TOOL := target/debug/hitl-template
# `make test` checks that SAM builds every function; what it builds is never deployed (own target
# and build directories below; `sam build` builds what you deploy). So it builds the release profile
# without its whole-program optimization, the slow part: `make test SAM_CHECK_PROFILE=` builds
# exactly the deployed profile (LTO, one codegen unit, opt-level "s"), minutes more.
SAM_CHECK_PROFILE := CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
SAM_CHECK_DIR := $(CURDIR)/target/sam-check
SAM_CHECK_ENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" CARGO_TARGET_DIR="$(SAM_CHECK_DIR)" $(SAM_CHECK_PROFILE)
# Idle CPU priority (Linux; elsewhere the lowest nice level): runs only on what the tests leave.
IDLE := $(shell command -v chrt >/dev/null && echo chrt --idle 0 || echo nice -n 19)

.PHONY: run test venv build tests unit e2e lint sam-validate sam-prebuild sam-build bench load

$(VENV)/.installed: requirements-dev.txt
	@command -v python3 >/dev/null || { echo "python3 (3.11+) is needed: install it first"; exit 1; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Every debug target (binaries, tests) in one cargo invocation over the whole workspace, tests
# included. Cargo resolves features per invocation (dev-dependencies count only when tests are
# built), so a build without the tests, `--exclude e2e_tests` or `-p e2e_tests` would each
# compile about a hundred dependencies again, the AWS SDKs among them, with other features.
build:
	cargo build --workspace --all-targets

## The local stack: moto + the real function binaries + the HttpApi + the example workflow.
run: venv build
	target/debug/hitl-local up

## Everything CI runs. The Python tools install while clippy runs, and the release build of
## sam-build compiles at idle CPU priority while the tests run (they mostly wait on moto and on
## schedules). Each part's output is printed when it ends (-O).
test:
	$(MAKE) -j2 -O --no-print-directory lint venv
	$(MAKE) --no-print-directory build
	$(MAKE) -j2 -O --no-print-directory tests sam-prebuild PREBUILD_PRIORITY="$(IDLE)"
	$(MAKE) --no-print-directory sam-validate sam-build

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# Unit and end-to-end tests in one run, on what `build` compiled (nothing is compiled again).
# End-to-end tests start their own local stack (ports chosen freely) per test binary.
tests: venv build
	cargo test --workspace -- --test-threads 4

# The same tests in two parts (each compiles the dependencies its own package selection needs).
unit: venv
	cargo test --workspace --exclude e2e_tests

e2e: venv build
	cargo test -p e2e_tests -- --test-threads 4

# cfn-lint with the serverless rules (tracing, log retention, API throttling and access logs);
# a warning we accept is suppressed on its resource in template.yaml, with the reason.
sam-validate: venv
	$(SAM) validate --lint
	$(SAM) validate --lint -t examples/nested-stack/template.yaml
	$(VENV)/bin/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml

# `sam build` runs `cargo lambda build --release --bin <function>` once per function, one after the
# other. The same command for all the functions at once compiles and links them in one cargo
# invocation (in parallel), and leaves SAM's per-function builds nothing to do: same package
# selection, features, profile, target and flags, so cargo finds every binary fresh.
# This machine has only the x86_64 Rust std: build x86_64 here (--config-env local), arm64 on AWS.
# Into their own target and build directories: what `make test` builds is never deployed.
sam-prebuild: venv $(TEMPLATE_TOOL)
	bins=$$($(TEMPLATE_TOOL) binaries) && $(PREBUILD_PRIORITY) env $(SAM_CHECK_ENV) \
	  cargo lambda build --release $$(printf -- '--bin %s ' $$bins)

# `build` makes it (before sam-prebuild in `make test`); alone on a fresh clone, it is built here.
$(TEMPLATE_TOOL):
	cargo build -p sam_template --bin hitl-template

sam-build: sam-prebuild
	$(SAM_CHECK_ENV) $(SAM) build --beta-features --config-env local --build-dir $(SAM_CHECK_DIR)/sam

## The cold path as users meet it (a command, not a timed test; docs/bench.md): the release
## bootstraps behind TLS, at a 128 MB Lambda's CPU share after init (cgroup; root on Linux), beside
## the lambda_runtime echo and Python + boto3 doing the same work. Functions and bench build in two
## cargo runs, so the bench's features never reach the measured binaries; the bench names the
## functions it runs (hitl-bench-functions, from function_catalog).
## BENCH_ARGS, e.g. "--memory-mb 256", "--cases slack,post", "--events 50", "--no-throttle".
BENCH_ARGS ?=
bench: venv build
	cargo build --release -p bench
	bins=$$("$${CARGO_TARGET_DIR:-target}/release/hitl-bench-functions") && \
	  cargo build --release $$(printf -- '--bin %s ' $$bins)
	"$${CARGO_TARGET_DIR:-target}/release/hitl-bench" --rounds 3 --events 100 $(BENCH_ARGS)

## Load under faults (a command, not a timed test): 1,000 email and 200 Slack executions, each
## clicked three times at once, with SendTaskSuccess failures and killed Decision API processes.
## Asserts 0 double, 0 lost, 0 left running; prints the time to drain and re-delivery latency.
## Other scenarios (issue 16), e.g. make load LOAD_ARGS="--scenario burst --secrets-faults slow":
##   burst: 300 approvals, every approve link GET then every form POSTed by 48 clients at once
##          onto cold processes; no 503, no 429, all recorded and approved; p50/p99 beside the
##          lambda_runtime echo's (tools/bench's, same path). --secrets-faults slow|fail20.
##   flood: the same (100 approvals, 16 clients) while 200 forged requests/s pour in.
load: venv build
	target/debug/hitl-load $(LOAD_ARGS)
