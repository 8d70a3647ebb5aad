"""The reference model of bench/model.ts in PyTorch, for comparison.

Same equations and sizes as attnmt's reference model: vocabularies 5000/5000, embedding 256,
bidirectional GRU encoder (2 x 128 = 256, nn.GRU), linear+tanh bridge, GRU decoder 256 with input
feeding (nn.GRUCell over [embedding; previous attentional state]), additive attention 256 (Bahdanau
2015 A.1.2, scored on the current decoder state, keys projected once per sentence), tanh combine layer
over [c_t; s_t], output layer, summed cross-entropy, Adam. Batch 64, source and target length 15, on
the machine's 2 cores.

Written the idiomatic fastest way for PyTorch: the built-in nn.GRU and nn.GRUCell (one op per step
instead of a dozen hand-written ones), the output layer and the loss batched over all time steps in
training, greedy decoding under torch.inference_mode(). Prints one JSON line (bench/pytorch_common.py):
  {"engine": "pytorch", "model": "rnn", "precision": "float32", "split": ..., "train_step_ms": ...,
   "train_step_spread_ms": [min, max], "greedy_b64_sent_s": ..., "greedy_b64_spread_sent_s": [min, max],
   "greedy_b1_sent_s": ..., "greedy_b1_spread_sent_s": [min, max], "peak_rss_mb": ...}
or {"engine": "pytorch", "model": "rnn", "error": "why"} when torch is not installed
(apt-get install -y python3-torch libopenblas0).

Threads: Debian's torch runs its own ops on OpenMP threads (torch.set_num_threads) and its matrix
products in OpenBLAS, which has a thread pool of its own. Left at their defaults on this 2-core
machine the two pools oversubscribe the cores and a training step takes about 2.7x longer, so the
split is an argument: `--split torch1-blas2` (torch ops on 1 thread, OpenBLAS on 2) or
`torch2-blas1`. bench/model.ts runs both and keeps the better number of each metric.
"""
import os
import argparse

from pytorch_common import THREAD_SPLITS, summary

_args = argparse.ArgumentParser()
_args.add_argument("--split", choices=sorted(THREAD_SPLITS), default="torch1-blas2")
SPLIT = _args.parse_args().split
# OpenBLAS reads its thread count when the library loads, i.e. when torch is imported below.
os.environ["OPENBLAS_NUM_THREADS"] = str(THREAD_SPLITS[SPLIT][1])

import json
import sys
import time

V, E, H, B, L = 5000, 256, 256, 64, 15
TRAIN_STEPS, DECODE_REPS, B1_SENTENCES = 8, 5, 16


def main():
    try:
        import torch
        from torch import nn
    except Exception as e:  # report, never crash: the bench prints the reason
        print(json.dumps({"engine": "pytorch", "model": "rnn", "error": f"cannot import torch: {e}"}))
        return
    torch.set_num_threads(THREAD_SPLITS[SPLIT][0])
    torch.manual_seed(1)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.src_emb = nn.Embedding(V, E)
            self.encoder = nn.GRU(E, H // 2, batch_first=True, bidirectional=True)
            self.bridge = nn.Linear(H, H)
            self.tgt_emb = nn.Embedding(V, E)
            self.cell = nn.GRUCell(E + H, H)  # input feeding: [embedding; previous attentional state]
            self.wq = nn.Linear(H, H, bias=False)
            self.wk = nn.Linear(H, H, bias=False)
            self.v = nn.Parameter(torch.empty(H).uniform_(-H ** -0.5, H ** -0.5))
            self.combine = nn.Linear(2 * H, H)
            self.out = nn.Linear(H, V)

        def encode(self, src):
            states, final = self.encoder(self.src_emb(src))  # (B, S, H), (2, B, H/2)
            h0 = torch.tanh(self.bridge(torch.cat([final[0], final[1]], dim=1)))
            return states, self.wk(states), h0

        def step(self, emb, h, feed, states, keys):
            h = self.cell(torch.cat([emb, feed], dim=1), h)
            e = torch.tanh(keys + self.wq(h).unsqueeze(1)) @ self.v  # (B, S)
            alpha = torch.softmax(e, dim=1)
            ctx = torch.bmm(alpha.unsqueeze(1), states).squeeze(1)
            att = torch.tanh(self.combine(torch.cat([ctx, h], dim=1)))
            return h, att

        def loss(self, src, tgt_in, tgt_out):
            states, keys, h = self.encode(src)
            embs = self.tgt_emb(tgt_in)  # (B, T, E)
            feed = torch.zeros(src.shape[0], H)
            atts = []
            for t in range(tgt_in.shape[1]):
                h, feed = self.step(embs[:, t], h, feed, states, keys)
                atts.append(feed)
            logits = self.out(torch.stack(atts, 1).reshape(-1, H))  # one GEMM over all steps
            return nn.functional.cross_entropy(logits, tgt_out.reshape(-1), reduction="sum")

        def greedy(self, src, length):
            states, keys, h = self.encode(src)
            feed = torch.zeros(src.shape[0], H)
            prev = torch.full((src.shape[0],), 2, dtype=torch.long)
            out = []
            for _ in range(length):
                h, feed = self.step(self.tgt_emb(prev), h, feed, states, keys)
                prev = torch.log_softmax(self.out(feed), dim=1).argmax(1)
                out.append(prev)
            return torch.stack(out, 1)

    model = Model()
    g = torch.Generator().manual_seed(2)
    src = torch.randint(4, V, (B, L), generator=g)
    src[:, -1] = 3
    tgt = torch.randint(4, V, (B, L), generator=g)
    tgt_in = torch.cat([torch.full((B, 1), 2), tgt[:, :-1]], 1)
    tgt_out = tgt.clone()
    tgt_out[:, -1] = 3
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    train = []
    for s in range(TRAIN_STEPS + 2):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = model.loss(src, tgt_in, tgt_out) / (B * L)
        loss.backward()
        opt.step()
        if s >= 2:
            train.append((time.perf_counter() - t0) * 1000)
    model.eval()
    b64 = []
    b1 = []
    with torch.inference_mode():
        for r in range(DECODE_REPS + 1):
            t0 = time.perf_counter()
            model.greedy(src, L)
            if r > 0:
                b64.append((time.perf_counter() - t0) * 1000)
        for i in range(B1_SENTENCES + 1):
            one = src[i % B : i % B + 1]
            t0 = time.perf_counter()
            model.greedy(one, L)
            if i > 0:
                b1.append((time.perf_counter() - t0) * 1000)
    print(json.dumps(summary("rnn", SPLIT, B, train, b64, b1)))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - the bench reports any failure as an error line
        print(json.dumps({"engine": "pytorch", "model": "rnn", "error": f"{type(e).__name__}: {e}"}))
        sys.exit(0)
