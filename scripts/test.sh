#!/usr/bin/env bash
# Every check and test riskmap has, from a fresh clone: formatting, lints
# (warnings are errors), then the unit, property and integration tests of the
# whole workspace. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
cargo --version
cargo fmt --version
cargo clippy --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked
