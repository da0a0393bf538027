#!/usr/bin/env bash
# The comments stage's figures, side by side in one run (release build, 2 threads):
#   1. sentiment accuracy: classlens's head (cross-validated, from its training
#      report) beside VADER (sentiment_peer.py) on the 2,000 labelled sentences, and
#      both on the demo school's English comments (three labels; VADER's neutral
#      band is its documented |compound| < 0.05);
#   2. `classlens analyze` on a new demo school of STUDENTS students (20,000 write
#      about 100,000 comments): time, comments/s end to end, peak RSS, and the
#      comments stage alone;
#   3. `classlens search` on that school: end-to-end wall time, and the search's
#      own time (query encoded, every comment vector scored) from --json.
# Needs ../shared/bench/peers/setup.sh first.
# Usage: bash benches/comments.sh [SHARED_DIR] [STUDENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/classlens/target}"
shared="${1:-../shared}"
students="${2:-20000}"
python="${PEERS_VENV:-/tmp/peers/venv}/bin/python"
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2

cargo build --release --locked --bin classlens
bin="$CARGO_TARGET_DIR/release/classlens"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rss() { /usr/bin/time -f "  wall %e s, peak RSS %M KB" "$@"; }

echo "== sentiment on the labelled sentences"
"$python" "$shared/bench/peers/sentiment_peer.py" \
    "$shared/data/sentiment_amazon.csv" "$shared/data/sentiment_imdb.csv" --total | tail -1
"$bin" train sentiment --out "$work/head.safetensors" --json >"$work/train.json"
"$python" -c "import json,sys; r=json.load(open(sys.argv[1])); print({'engine':'classlens head, 5-fold cross-validated','polar_accuracy':r['polar_accuracy'],'per_file':[(s['name'],s['polar_accuracy'],s['accuracy']) for s in r['cross_validated']]})" "$work/train.json"

echo "== demo school of $students students: classlens analyze"
"$bin" demo --db "$work/demo.duckdb" --students "$students" --no-tui >"$work/demo.log" 2>&1
"$bin" query --db "$work/demo.duckdb" --sql "SELECT count(*) AS comments FROM comments"
rss "$bin" analyze --db "$work/demo.duckdb" --json >"$work/analyze.json"
"$python" -c "
import json,sys; r=json.load(open(sys.argv[1])); e=r['encode']; c=r['comments']
print({'texts_encoded':e['encoded'],'encode_s':round(e['seconds'],1),'comments':c['comments'],'searches':c['searches'],'comments_stage_s':round(c['seconds'],2),'profiles':c['profiles']})
print('comments/s end to end (encode every new text + comments stage):', round(c['comments']/(e['seconds']+c['seconds']),1))" "$work/analyze.json"

echo "== sentiment on the demo's English comments (three labels)"
"$bin" query --db "$work/demo.duckdb" --sql "SELECT c.text, t.sentiment FROM comments c JOIN truth_comments t USING (comment_id) WHERE t.language = 'en'" --csv "$work/english.csv" >/dev/null
"$python" - "$work/english.csv" <<'PY'
import csv, sys
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
vader = SentimentIntensityAnalyzer()
def label(c):
    return "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"
right = sum(label(vader.polarity_scores(r["text"])["compound"]) == r["sentiment"] for r in rows)
print({"engine": "VADER", "comments": len(rows), "accuracy": round(right / len(rows), 4)})
PY
"$bin" query --db "$work/demo.duckdb" --sql "SELECT 'classlens head' AS engine, count(*) AS comments, round(avg((i.sentiment IS NOT DISTINCT FROM t.sentiment)::INT), 4) AS accuracy FROM comment_insights i JOIN truth_comments t USING (comment_id) WHERE t.language = 'en'"

echo "== search ($(sed -n 's/.*"comments": \([0-9]*\).*/\1/p' "$work/analyze.json" | head -1) comments)"
for q in "I'm lost with fractions" "the circuits video made no sense to me" "thanks, commas are clear now"; do
    rss "$bin" search --db "$work/demo.duckdb" "$q" --json >"$work/search.json"
    "$python" -c "import json,sys; r=json.load(open(sys.argv[1])); print('  in-process', round(r['seconds']*1000), 'ms:', r['query'])" "$work/search.json"
done
