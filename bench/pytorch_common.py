"""What bench/model_pytorch.py and bench/transformer_pytorch.py share: the thread splits and the summary line.

Medians are computed as in bench/model.ts (the mean of the two middle values for an even count), and every
median comes with its spread: the fastest and slowest sample, as [min, max] of the reported unit.
"""
import resource
import statistics
import time

# (torch's own ops threads, OpenBLAS threads)
THREAD_SPLITS = {"torch1-blas2": (1, 2), "torch2-blas1": (2, 1)}
# Timed training steps (after 2 warm-up steps), batch-64 decodes (after 1), batch-1 decodes (after 1), as bench/model.ts.
TRAIN_STEPS, DECODE_REPS, B1_SENTENCES = 8, 5, 16


def measure(torch, model, opt, src, tgt_in, tgt_out, length, before_decoding=None):
    """Milliseconds per training step, per greedy decode of the batch, per greedy decode of one sentence
    (before_decoding, when given, runs between training and decoding)."""
    batch = src.shape[0]
    ms = lambda t0: (time.perf_counter() - t0) * 1000  # noqa: E731
    train = []
    for s in range(TRAIN_STEPS + 2):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = model.loss(src, tgt_in, tgt_out) / (batch * length)
        loss.backward()
        opt.step()
        if s >= 2:
            train.append(ms(t0))
    model.eval()
    if before_decoding is not None:
        before_decoding()
    b64 = []
    b1 = []
    with torch.inference_mode():
        for r in range(DECODE_REPS + 1):
            t0 = time.perf_counter()
            model.greedy(src, length)
            if r > 0:
                b64.append(ms(t0))
        for i in range(B1_SENTENCES + 1):
            one = src[i % batch : i % batch + 1]
            t0 = time.perf_counter()
            model.greedy(one, length)
            if i > 0:
                b1.append(ms(t0))
    return train, b64, b1


def _r(x):
    return round(x, 1)


def summary(model, split, batch, train, b64, b1):
    """The JSON object of one run: training step ms, greedy sentences/s at batch `batch` and 1, peak RSS."""
    def rate(n, ms):
        return n * 1000 / ms

    return {
        "engine": "pytorch",
        "model": model,
        "precision": "float32",
        "split": split,
        "train_step_ms": _r(statistics.median(train)),
        "train_step_spread_ms": [_r(min(train)), _r(max(train))],
        "greedy_b64_sent_s": _r(rate(batch, statistics.median(b64))),
        "greedy_b64_spread_sent_s": [_r(rate(batch, max(b64))), _r(rate(batch, min(b64)))],
        "greedy_b1_sent_s": _r(rate(1, statistics.median(b1))),
        "greedy_b1_spread_sent_s": [_r(rate(1, max(b1))), _r(rate(1, min(b1)))],
        "peak_rss_mb": _r(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
