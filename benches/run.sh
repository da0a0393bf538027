#!/usr/bin/env bash
# Benchmarks of the foundation, on the release build, in one run:
#  1. ingest of 10M response rows from CSV and from Parquet, beside plain
#     DuckDB loading the same files without checks (benches/ingest.rs);
#  2. `classlens demo --students 50000`: wall time and peak memory.
# Usage: bash benches/run.sh [ROWS] [STUDENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/classlens/target}"
rows="${1:-10000000}"
students="${2:-50000}"

cargo build --release --locked --bin classlens
echo "== ingest ($rows rows; median of 3)"
cargo bench --locked --bench ingest -- "$rows"

echo "== demo --students $students"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
/usr/bin/time -f "wall %e s, peak RSS %M KB" \
  "$CARGO_TARGET_DIR/release/classlens" --db "$scratch/district.duckdb" demo --no-tui --students "$students" > "$scratch/summary.txt"
head -20 "$scratch/summary.txt"
du -h "$scratch/district.duckdb"
