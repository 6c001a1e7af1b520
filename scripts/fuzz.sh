#!/usr/bin/env bash
# Bounded fuzzing of riskmap's decoders of untrusted input (cargo-fuzz,
# libFuzzer): the /ws message decoder, the OsmAnd decoder and GeoJSON import.
# Each target runs for FUZZ_SECONDS (default 30) from the seed corpus in
# fuzz/corpus/<target>; what it learns goes to a scratch copy, so the seeds
# in the repository stay as they are. A crash fails the script and leaves
# its input in fuzz/artifacts/<target>/.
#
# cargo-fuzz wants nightly compiler flags; the machine has the stable
# toolchain only, so RUSTC_BOOTSTRAP=1 lets it use them, and the targets are
# built without a sanitizer (riskmap has no unsafe code: panics, overflows
# and runaway memory are what there is to find, and libFuzzer finds them).
# Sixteen codegen units, not cargo-fuzz's one: the instrumented server crate
# then builds on both cores (208 s → 145 s here; the targets run a little
# slower, which twenty seconds of fuzzing does not notice).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${FUZZ_SECONDS:-30}
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none --codegen-units 16
for target in ${FUZZ_TARGETS:-ws_message osmand geojson_import}; do
  scratch="corpus-run/$target"
  rm -rf "$scratch"
  mkdir -p "$scratch"
  echo "==> fuzz $target for ${seconds}s"
  log="corpus-run/$target.log"
  status=0
  cargo fuzz run -s none --codegen-units 16 "$target" "$scratch" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$log" >&2
    echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
