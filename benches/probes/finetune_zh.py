"""How far fine-tuning e5 goes on the Chinese review sentences: a probe, not
part of classlens. Reads classlens's e5 file (E5S1: 4-bit blocks unpacked to
float), runs the same BERT in PyTorch, freezes the lower 12 - TOP layers and
fine-tunes the top TOP layers with a linear head on the mean-pooled, unit,
scaled last layer (cross-entropy, AdamW, linear warm-up and decay, batches of
32 of similar length). One fifth of the sentences (seed 0) is held out and
scored four times over the run. TOP 0 trains the head alone (frozen vectors).

    cargo bench --bench e5 -- MODEL.bin fixtures/sentiment/sentiment_zh.csv 100000 --ids zh.ids
    python benches/probes/finetune_zh.py MODEL.bin fixtures/sentiment/sentiment_zh.csv zh.ids \
        [--top 4] [--epochs 2] [--lr 5e-5]

Needs torch and numpy (the peers' venv, ../shared/bench/peers/setup.sh, has both).
"""
import argparse
import csv
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F

BLOCK, BLOCK_BYTES = 32, 18


def read_e5(path):
    """The header and a tensor reader of an E5S1 file (see src/text/e5.rs)."""
    b = open(path, "rb").read()
    at = [0]

    def take(n):
        out = b[at[0]:at[0] + n]
        at[0] += n
        return out

    u32 = lambda: struct.unpack("<I", take(4))[0]  # noqa: E731
    u64 = lambda: struct.unpack("<Q", take(8))[0]  # noqa: E731
    assert take(4) == b"E5S1", "not an E5S1 file"
    u32()  # version
    hidden, layers, heads, inter, vocab, positions, _types = [u32() for _ in range(7)]
    eps = struct.unpack("<f", take(4))[0]
    u32()  # block size
    pieces = u32()
    [u32() for _ in range(4)]  # special ids
    blob = u64()
    take((pieces + 1) * 4)
    take(pieces * 4)
    take(blob)
    u32()  # normalisation entries
    take(u32())
    directory = {}
    for _ in range(u32()):
        name = take(struct.unpack("<H", take(2))[0]).decode()
        four_bit = take(1)[0]
        elements = u32()
        directory[name] = (four_bit, elements, u64(), u64())

    def tensor(name, shape):
        four_bit, elements, offset, length = directory[name]
        if not four_bit:
            values = np.frombuffer(b, dtype="<f4", count=elements, offset=offset).copy()
            return torch.from_numpy(values).reshape(shape)
        raw = np.frombuffer(b, dtype=np.uint8, count=length, offset=offset).reshape(-1, BLOCK_BYTES)
        scale = raw[:, :2].copy().view("<f2").astype(np.float32)
        low = (raw[:, 2:] & 15).astype(np.float32) - 8
        high = (raw[:, 2:] >> 4).astype(np.float32) - 8
        return torch.from_numpy((np.concatenate([low, high], axis=1) * scale).reshape(shape))

    config = dict(hidden=hidden, layers=layers, heads=heads, inter=inter, vocab=vocab,
                  positions=positions, eps=eps)
    return config, tensor


class Layer(torch.nn.Module):
    def __init__(self, tensor, l, c):
        super().__init__()
        h, ff = c["hidden"], c["inter"]
        self.heads, self.eps = c["heads"], c["eps"]
        p = lambda name, shape: torch.nn.Parameter(tensor(f"l{l}.{name}", shape))  # noqa: E731
        self.qkv_w = torch.nn.Parameter(torch.cat([tensor(f"l{l}.{x}.w", (h, h)) for x in "qkv"]))
        self.qkv_b = torch.nn.Parameter(torch.cat([tensor(f"l{l}.{x}.b", (h,)) for x in "qkv"]))
        self.ao_w, self.ao_b = p("ao.w", (h, h)), p("ao.b", (h,))
        self.aln_w, self.aln_b = p("aln.w", (h,)), p("aln.b", (h,))
        self.fi_w, self.fi_b = p("fi.w", (ff, h)), p("fi.b", (ff,))
        self.fo_w, self.fo_b = p("fo.w", (h, ff)), p("fo.b", (h,))
        self.oln_w, self.oln_b = p("oln.w", (h,)), p("oln.b", (h,))

    def forward(self, x, mask):
        batch, width, h = x.shape
        qkv = F.linear(x, self.qkv_w, self.qkv_b)
        qkv = qkv.view(batch, width, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=mask[:, None, None, :])
        a = a.transpose(1, 2).reshape(batch, width, h)
        x = F.layer_norm(F.linear(a, self.ao_w, self.ao_b) + x, (h,), self.aln_w, self.aln_b, self.eps)
        inner = F.gelu(F.linear(x, self.fi_w, self.fi_b))
        return F.layer_norm(F.linear(inner, self.fo_w, self.fo_b) + x, (h,), self.oln_w, self.oln_b,
                            self.eps)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("csv")
    ap.add_argument("ids")
    ap.add_argument("--top", type=int, default=4)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with open(args.csv, newline="", encoding="utf-8") as f:
        labels = [int(r["label"]) for r in csv.DictReader(f) if r["text"].strip()]
    ids = [[int(v) for v in line.split()][:512] for line in open(args.ids)]
    assert len(ids) == len(labels), f"{len(ids)} id lines for {len(labels)} sentences"
    y = np.array(labels)
    lens = np.array([len(i) for i in ids])
    c, tensor = read_e5(args.model)
    h = c["hidden"]
    frozen_layers = c["layers"] - args.top
    word, pos = tensor("emb.word", (c["vocab"], h)), tensor("emb.pos", (c["positions"], h))
    typ = tensor("emb.type", (-1, h))[0]
    ln_w, ln_b = tensor("emb.ln.w", (h,)), tensor("emb.ln.b", (h,))
    frozen = [Layer(tensor, l, c) for l in range(frozen_layers)]
    tuned = torch.nn.ModuleList([Layer(tensor, l, c) for l in range(frozen_layers, c["layers"])])

    def padded(rows):
        width = max(lens[j] for j in rows)
        x = torch.ones(len(rows), width, dtype=torch.long)
        mask = torch.zeros(len(rows), width, dtype=torch.bool)
        for r, j in enumerate(rows):
            x[r, :lens[j]] = torch.tensor(ids[j])
            mask[r, :lens[j]] = True
        return x, mask

    # The frozen layers once: each text's states where the tuned layers start.
    started = time.time()
    states = [None] * len(ids)
    order = sorted(range(len(ids)), key=lambda j: lens[j])
    with torch.no_grad():
        for i in range(0, len(order), 64):
            rows = order[i:i + 64]
            x, mask = padded(rows)
            s = F.layer_norm(word[x] + pos[:x.shape[1]] + typ, (h,), ln_w, ln_b, c["eps"])
            for layer in frozen:
                s = layer(s, mask)
            for r, j in enumerate(rows):
                states[j] = s[r, :lens[j]].half()
    print(f"{frozen_layers} frozen layers over {len(ids)} texts in {time.time() - started:.0f} s",
          flush=True)

    rng = np.random.default_rng(0)
    perm = rng.permutation(len(y))
    test, train = perm[:len(y) // 5], perm[len(y) // 5:]
    head = torch.nn.Linear(h, 2)
    groups = [{"params": head.parameters(), "lr": 1e-3}]
    if args.top:
        groups.append({"params": tuned.parameters(), "lr": args.lr})
    opt = torch.optim.AdamW(groups, weight_decay=0.01)

    def forward(rows):
        width = max(lens[j] for j in rows)
        x = torch.zeros(len(rows), width, h)
        mask = torch.zeros(len(rows), width, dtype=torch.bool)
        for r, j in enumerate(rows):
            x[r, :lens[j]] = states[j].float()
            mask[r, :lens[j]] = True
        for layer in tuned:
            x = layer(x, mask)
        m = mask.float()[..., None]
        pooled = (x * m).sum(1) / m.sum(1)
        return head(F.normalize(pooled, dim=-1) * 10)

    def held_out_accuracy():
        tuned.eval()
        right = 0
        rows = sorted(test, key=lambda j: lens[j])
        with torch.no_grad():
            for i in range(0, len(rows), 128):
                part = rows[i:i + 128]
                right += int((forward(part).argmax(1).numpy() == y[part]).sum())
        tuned.train()
        return right / len(test)

    batch = 32
    steps = int(args.epochs * len(train) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1, (s + 1) / 50) * max(0.0, 1 - s / steps))
    step, started = 0, time.time()
    while step < steps:
        # Shuffled, then sorted by length within runs of 50 batches: little padding.
        shuffled = rng.permutation(train)
        runs = [sorted(shuffled[i:i + batch * 50], key=lambda j: lens[j])
                for i in range(0, len(shuffled), batch * 50)]
        batches = [r[i:i + batch] for r in runs for i in range(0, len(r), batch)]
        rng.shuffle(batches)
        for rows in batches:
            loss = F.cross_entropy(forward(rows), torch.from_numpy(y[rows]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % max(1, steps // 4) == 0 or step == steps:
                print(f"step {step}/{steps} ({step * batch / len(train):.2f} epochs, "
                      f"{time.time() - started:.0f} s): held-out accuracy {held_out_accuracy():.4f}",
                      flush=True)
            if step >= steps:
                break
    print(f"top {args.top} layers tuned, {args.epochs} epochs, lr {args.lr}: held-out accuracy "
          f"{held_out_accuracy():.4f} on {len(test)} sentences")


if __name__ == "__main__":
    main()
