#!/usr/bin/env bash
# 2PL fits side by side in one run: classlens irt fit (release build) and the peer
# girth 0.8.0 (../shared/bench/peers/irt_peer.py, its defaults) on the same simulated
# matrices, fit time without reading the CSV, and accuracy against the truth.
# Needs ../shared/bench/peers/setup.sh first.
# Usage: bash benches/irt.sh [SHARED_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/classlens/target}"
shared="${1:-../shared}"
python="${PEERS_VENV:-/tmp/peers/venv}/bin/python"
peer="$shared/bench/peers/irt_peer.py"

cargo build --release --locked --bin classlens
bin="$CARGO_TARGET_DIR/release/classlens"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for size in 5000x80 20000x50; do
    m="$work/$size.csv" t="$work/$size-truth.json"
    "$python" "$peer" --simulate "$size" --seed 20261129 --matrix "$m" --truth "$t" --simulate-only >/dev/null 2>&1
    echo "== $size"
    "$python" "$peer" "$m" --truth "$t" --models 2pl --no-abilities >"$work/girth.json"
    "$python" - "$work/girth.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
acc = r["accuracy_vs_truth"]["2pl"]
print(f"girth 2pl: {r['models']['2pl']['seconds']:.2f} s; corr with truth "
      f"a {acc['discrimination']['corr']:.4f}, b {acc['difficulty']['corr']:.4f}")
PY
    /usr/bin/time -f "  wall %e s, peak RSS %M KB" "$bin" irt fit "$m" --json >"$work/ours.json"
    "$python" - "$work/ours.json" "$t" <<'PY'
import json, sys
import numpy as np
ours, truth = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
a = [i["estimate"]["discrimination"] for i in ours["items"]]
b = [i["estimate"]["difficulty"] for i in ours["items"]]
t = [p["estimate"]["theta"] for p in ours["abilities"]]
c = lambda x, y: np.corrcoef(x, y)[0, 1]
print(f"classlens 2pl: {ours['seconds']:.2f} s ({ours['iterations']} EM iterations); corr with truth "
      f"a {c(a, truth['discrimination']):.4f}, b {c(b, truth['difficulty']):.4f}, theta {c(t, truth['theta']):.4f}")
PY
done
