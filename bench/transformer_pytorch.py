"""The reference Transformer of bench/model.ts in PyTorch, for comparison.

Same model as attnmt's (model.arch: transformer): vocabularies 5000/5000, dModel 256, 4 heads, ffn 1024,
3 encoder + 3 decoder layers, pre-norm with a final layer norm on each stack, ReLU, embeddings scaled by
sqrt(dModel) plus sinusoidal positions, the target embedding tied to the output layer (with a bias),
no dropout, summed cross-entropy, Adam. Batch 64, source and target length 15, the machine's 2 cores.

Written the fastest idiomatic way for PyTorch 1.13 (Debian's; it predates
F.scaled_dot_product_attention): training through nn.TransformerEncoderLayer / nn.TransformerDecoderLayer
(batch_first, norm_first); greedy decoding under torch.inference_mode with the encoder stack as is and
an incremental decoder over the same layers' weights that caches the self-attention keys and values of
earlier positions and projects the source keys and values once (what attnmt does), so neither side
recomputes the prefix. Prints one JSON line:
  {"engine": "pytorch", "model": "transformer", "precision": "float32", "split": ..., "train_step_ms": ...,
   "train_step_spread_ms": [min, max], "greedy_b64_sent_s": ..., ... (bench/pytorch_common.py)}
or {"engine": "pytorch", "model": "transformer", "error": "why"}.

Threads: as bench/model_pytorch.py, `--split torch1-blas2` (torch's own ops on 1 thread, OpenBLAS on 2) or
`torch2-blas1`; bench/model.ts runs both and keeps the better number of each.
"""
import argparse
import os

from pytorch_common import THREAD_SPLITS, summary

cli = argparse.ArgumentParser()
cli.add_argument("--split", choices=sorted(THREAD_SPLITS), default="torch1-blas2")
split = cli.parse_args().split
# Read by OpenBLAS when it loads, i.e. when torch is imported below.
os.environ["OPENBLAS_NUM_THREADS"] = str(THREAD_SPLITS[split][1])

import json
import math
import sys
import time

V, D, HEADS, FFN, LAYERS, B, L = 5000, 256, 4, 1024, 3, 64, 15
BOS, EOS = 2, 3
TRAIN_STEPS, DECODE_REPS, B1_SENTENCES = 8, 5, 16


def run():
    try:
        import torch
        from torch import nn
        import torch.nn.functional as F
    except Exception as e:  # report, never crash: the bench prints the reason
        print(json.dumps({"engine": "pytorch", "model": "transformer", "error": f"cannot import torch: {e}"}))
        return
    torch.set_num_threads(THREAD_SPLITS[split][0])
    torch.manual_seed(1)

    def sinusoids(n, d):
        pos = torch.arange(n, dtype=torch.float32).unsqueeze(1)
        div = torch.pow(10000.0, torch.arange(0, d, 2, dtype=torch.float32) / d)
        pe = torch.zeros(n, d)
        pe[:, 0::2] = torch.sin(pos / div)
        pe[:, 1::2] = torch.cos(pos / div)
        return pe

    class Transformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.src_emb = nn.Embedding(V, D)
            self.tgt_emb = nn.Embedding(V, D)
            self.out_bias = nn.Parameter(torch.zeros(V))
            layer = dict(d_model=D, nhead=HEADS, dim_feedforward=FFN, dropout=0.0, batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(**layer), LAYERS, norm=nn.LayerNorm(D), enable_nested_tensor=False)
            self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(**layer), LAYERS, norm=nn.LayerNorm(D))
            self.register_buffer("pe", sinusoids(256, D))
            self.scale = math.sqrt(D)

        def embed(self, table, ids, offset=0):
            return table(ids) * self.scale + self.pe[offset : offset + ids.shape[1]]

        def encode(self, src, pad):
            return self.encoder(self.embed(self.src_emb, src), src_key_padding_mask=pad)

        def loss(self, src, tgt_in, tgt_out):
            pad = src == 0
            memory = self.encode(src, pad)
            causal = torch.triu(torch.full((tgt_in.shape[1], tgt_in.shape[1]), float("-inf")), 1)
            h = self.decoder(self.embed(self.tgt_emb, tgt_in), memory, tgt_mask=causal, memory_key_padding_mask=pad)
            logits = F.linear(h.reshape(-1, D), self.tgt_emb.weight, self.out_bias)
            return F.cross_entropy(logits, tgt_out.reshape(-1), reduction="sum", ignore_index=0)

        def greedy(self, src, steps):
            """Incremental greedy decoding: per layer a key/value cache of the decoded positions."""
            n = src.shape[0]
            pad = src == 0
            memory = self.encode(src, pad)
            dh = D // HEADS

            def heads(x):  # (N, T, D) -> (N, H, T, dh)
                return x.view(n, -1, HEADS, dh).transpose(1, 2)

            cross = []
            for layer in self.decoder.layers:
                w, b = layer.multihead_attn.in_proj_weight, layer.multihead_attn.in_proj_bias
                k = F.linear(memory, w[D : 2 * D], b[D : 2 * D])
                v = F.linear(memory, w[2 * D :], b[2 * D :])
                cross.append((heads(k), heads(v)))
            mask = pad.view(n, 1, 1, -1)
            cache_k = [torch.empty(n, HEADS, steps, dh) for _ in self.decoder.layers]
            cache_v = [torch.empty(n, HEADS, steps, dh) for _ in self.decoder.layers]
            prev = torch.full((n, 1), BOS, dtype=torch.long)
            out = []
            for t in range(steps):
                x = self.embed(self.tgt_emb, prev, t)  # (N, 1, D)
                for l, layer in enumerate(self.decoder.layers):
                    h = layer.norm1(x)
                    q, k, v = F.linear(h, layer.self_attn.in_proj_weight, layer.self_attn.in_proj_bias).chunk(3, dim=-1)
                    cache_k[l][:, :, t : t + 1] = heads(k)
                    cache_v[l][:, :, t : t + 1] = heads(v)
                    att = torch.softmax(heads(q) @ cache_k[l][:, :, : t + 1].transpose(2, 3) / math.sqrt(dh), dim=-1)
                    ctx = (att @ cache_v[l][:, :, : t + 1]).transpose(1, 2).reshape(n, 1, D)
                    x = x + layer.self_attn.out_proj(ctx)
                    h = layer.norm2(x)
                    w, b = layer.multihead_attn.in_proj_weight, layer.multihead_attn.in_proj_bias
                    q = heads(F.linear(h, w[:D], b[:D]))
                    ck, cv = cross[l]
                    scores = (q @ ck.transpose(2, 3) / math.sqrt(dh)).masked_fill(mask, float("-inf"))
                    ctx = (torch.softmax(scores, dim=-1) @ cv).transpose(1, 2).reshape(n, 1, D)
                    x = x + layer.multihead_attn.out_proj(ctx)
                    x = x + layer.linear2(F.relu(layer.linear1(layer.norm3(x))))
                logits = F.linear(self.decoder.norm(x[:, 0]), self.tgt_emb.weight, self.out_bias)
                prev = torch.log_softmax(logits, dim=-1).argmax(-1, keepdim=True)
                out.append(prev)
            return torch.cat(out, 1)

    model = Transformer()
    g = torch.Generator().manual_seed(2)
    src = torch.randint(4, V, (B, L), generator=g)
    src[:, -1] = EOS
    tgt = torch.randint(4, V, (B, L), generator=g)
    tgt_in = torch.cat([torch.full((B, 1), BOS), tgt[:, :-1]], 1)
    tgt_out = tgt.clone()
    tgt_out[:, -1] = EOS
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
    with torch.no_grad():
        model.out_bias[EOS] = -1e9  # forced length: EOS never wins, as in attnmt's run
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
    print(json.dumps(summary("transformer", split, B, train, b64, b1)))


if __name__ == "__main__":
    try:
        run()
    except Exception as e:  # noqa: BLE001 - the bench reports any failure as an error line
        print(json.dumps({"engine": "pytorch", "model": "transformer", "error": f"{type(e).__name__}: {e}"}))
        sys.exit(0)
