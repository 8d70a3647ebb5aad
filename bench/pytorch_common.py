"""What bench/model_pytorch.py and bench/transformer_pytorch.py share: the thread splits and the summary line.

Medians are computed as in bench/model.ts (the mean of the two middle values for an even count), and every
median comes with its spread: the fastest and slowest sample, as [min, max] of the reported unit.
"""
import resource
import statistics

# (torch's own ops threads, OpenBLAS threads)
THREAD_SPLITS = {"torch1-blas2": (1, 2), "torch2-blas1": (2, 1)}


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
