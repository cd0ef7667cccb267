#!/usr/bin/env bash
# Benchmarks: parse + validate + resolve + compile per MUD profile (criterion),
# then the time of each stage on the largest profile. Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
C=../shared/corpus/mud
cargo bench -p warden-nft --bench mud_pipeline 2>&1 | grep -E '^[a-zA-Z].*|time:' | grep -vE '^(Benchmarking|Found|Gnuplot|Warning)'
echo
echo "== stages, chromecastUltraMud.json (mean of 200 runs each)"
cargo run -q --release -p warden-nft --example stages "$C/iot-onboarding-mudfiles/unsw/chromecastUltraMud.json"
echo
echo "== the dashboard's pages (250 devices, 30 days of flow summaries; goal: p99 <= 50 ms)"
cargo run -q --release -p warden-bench --bin bench-pages
echo
echo "== vulnerabilities: OSV import (records/s) and matching 250 devices x 500 components (goal: <= 1 s)"
cargo run -q --release -p warden-bench --bin bench-vuln
