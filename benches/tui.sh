#!/usr/bin/env bash
# The dashboard's benchmarks, on the release build, in one run:
#  1. the real binary in a real terminal (tmux, 160x48): time from launch to
#     the first full frame (CLASSLENS_TRACE), median of 5, on the default
#     600-student demo and on a 50,000-student demo;
#  2. its peak memory (VmHWM) on the 50,000-student demo after opening the
#     whole-school roster and sorting it;
#  3. key press -> frame on the whole-school roster, in process (benches/tui.rs).
# Usage: bash benches/tui.sh [DIR]   (DIR keeps the demo databases between runs)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/classlens/target}"
dir="${1:-$HOME/.cache/classlens/bench}"
mkdir -p "$dir"
bin="$CARGO_TARGET_DIR/release/classlens"
cargo build --release --locked --bin classlens

for students in 600 50000; do
  [ -f "$dir/demo$students.duckdb" ] ||
    "$bin" --db "$dir/demo$students.duckdb" demo --no-tui --students "$students" >/dev/null
done

socket="classlens-bench-$$"
tmux_() { tmux -L "$socket" -f /dev/null "$@"; }
trap 'tmux_ kill-server 2>/dev/null || true' EXIT
now_ms() { date +%s%3N; }

# Starts the dashboard in a fresh pane; prints the launch time.
launch() {
  local db="$1" trace="$2"
  rm -f "$trace"
  tmux_ kill-server 2>/dev/null || true
  tmux_ new-session -d -s b -x 160 -y 48 "bash --norc --noprofile"
  sleep 0.3
  local start
  start=$(now_ms)
  tmux_ send-keys -t b "CLASSLENS_TRACE=$trace exec $bin --db $db" Enter
  echo "$start"
}

wait_for_trace() {
  local trace="$1"
  for _ in $(seq 1 600); do
    [ -s "$trace" ] && return 0
    sleep 0.02
  done
  echo "no first frame traced" >&2
  return 1
}

for students in 600 50000; do
  db="$dir/demo$students.duckdb"
  times=()
  for _ in 1 2 3 4 5; do
    start=$(launch "$db" "$dir/trace.txt")
    wait_for_trace "$dir/trace.txt"
    frame=$(sed -n 's/.*unix_ms=\([0-9]*\).*/\1/p' "$dir/trace.txt")
    times+=($((frame - start)))
    tmux_ send-keys -t b q
    sleep 0.3
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  echo "first full frame, $students students: median $median ms (runs: $sorted)"
done

# Peak memory: the district's whole-school roster open and sorted.
db="$dir/demo50000.duckdb"
launch "$db" "$dir/trace.txt" >/dev/null
wait_for_trace "$dir/trace.txt"
pid=$(tmux_ display-message -p -t b '#{pane_pid}')
tmux_ send-keys -t b G Enter
for _ in $(seq 1 300); do
  tmux_ capture-pane -p -t b | grep -q "Whole school: 50000 students" && break
  sleep 0.05
done
tmux_ send-keys -t b s s S PageDown PageDown / a n n Enter
sleep 1
echo "dashboard on 50000 students, whole-school roster open: $(grep -E 'VmHWM|VmRSS' /proc/"$pid"/status | tr -s ' \n' ' ')"
tmux_ send-keys -t b q

echo "== key -> frame, in process"
cargo bench --locked --bench tui -- "$dir/demo50000.duckdb"
