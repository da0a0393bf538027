#!/usr/bin/env bash
# The encoder's figures, side by side in one run, 2 threads each (release build):
#   1. texts/s, tokens/s and peak RSS on the 2,000 labelled sentences of ../shared/data
#      and on the demo school's comments: classlens (candle; bf16 where the CPU has
#      AVX512-BF16, and f32) beside encode_peer.py (sentence-transformers fp32, ONNX
#      Runtime int8), each engine in a process of its own for its peak RSS;
#   2. `classlens analyze` on a new demo school, then again on unchanged data.
# Needs ../shared/bench/peers/setup.sh first.
# Usage: bash benches/encoder.sh [SHARED_DIR] [DEMO_STUDENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/classlens/target}"
shared="${1:-../shared}"
students="${2:-600}"
sentences=("$shared/data/sentiment_amazon.csv" "$shared/data/sentiment_imdb.csv")
python="${PEERS_VENV:-/tmp/peers/venv}/bin/python"
peer="$shared/bench/peers/encode_peer.py"
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2

cargo build --release --locked --bin classlens
bin="$CARGO_TARGET_DIR/release/classlens"
bench="$(cargo bench --locked --bench encoder --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)"
model="$("$bin" model info --json | sed -n 's/.*"dir": "\(.*\)".*/\1/p')"
[ -n "$model" ] || { "$bin" model fetch; exec "$0" "$@"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" demo --db "$work/demo.duckdb" --students "$students" --no-tui >"$work/demo.log" 2>&1
"$bin" query --db "$work/demo.duckdb" --sql "SELECT text FROM comments" --csv "$work/comments.csv" >/dev/null

rss() { /usr/bin/time -f "  wall %e s, peak RSS %M KB" "$@"; }
for set in sentences comments; do
    if [ "$set" = sentences ]; then files=("${sentences[@]}"); else files=("$work/comments.csv"); fi
    echo "== $set: ${files[*]}"
    for precision in bf16 f32; do
        if [ "$precision" = bf16 ] && ! grep -qw avx512_bf16 /proc/cpuinfo; then continue; fi
        CLASSLENS_PRECISION=$precision rss "$bench" "$model" "${files[@]}"
    done
    for engine in st onnx; do
        rss "$python" "$peer" "${files[@]}" --engines "$engine" --threads 2 --batch-size 32 \
            --repeat 3 --onnx-sort
    done
done

echo "== classlens analyze on a new $students-student demo school, then on unchanged data"
for run in first second; do
    echo "$run:"
    rss "$bin" analyze --db "$work/demo.duckdb" --device cpu
done
