#!/usr/bin/env bash
# Encoder throughput side by side, in one run, 2 threads each: classlens (candle,
# release build) and the peers (sentence-transformers fp32, ONNX Runtime int8) on the
# 2,000 labelled sentences of ../shared/data. Needs ../shared/bench/peers/setup.sh first.
# Usage: bash benches/encoder.sh [SHARED_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/classlens/target}"
shared="${1:-../shared}"
data=("$shared/data/sentiment_amazon.csv" "$shared/data/sentiment_imdb.csv")
python="${PEERS_VENV:-/tmp/peers/venv}/bin/python"

cargo build --release --locked --bin classlens
model="$("$CARGO_TARGET_DIR/release/classlens" model info --json | sed -n 's/.*"dir": "\(.*\)".*/\1/p')"
[ -n "$model" ] || { "$CARGO_TARGET_DIR/release/classlens" model fetch; exec "$0" "$@"; }

echo "== classlens"
RAYON_NUM_THREADS=2 cargo bench --locked --bench encoder -- "$model" "${data[@]}"
echo "== peers (encode_peer.py, 2 threads, median of 3)"
"$python" "$shared/bench/peers/encode_peer.py" "${data[@]}" --threads 2 --batch-size 32 --repeat 3 --onnx-sort
