/**
 * Greedy decoding's output layer in one op: for each row of logits = x·W + b, the id greedy search
 * takes (the first largest among the ids it may output) and its log-probability, with the numbers of
 * `logSoftmax(linear(x, w, b))` followed by a first-largest scan over the log-probabilities, without
 * writing the (N, V) log-probabilities. With the WebAssembly engine the logits stay in its memory:
 * the product, then one kernel per row (asm/greedy.ts: maximum, Σ exp, the best id; over the worker
 * pool when the product ran on it), instead of copying the logits out, into the log-softmax kernel,
 * out again, and scanning them in JavaScript. Inference only: no gradient.
 */
import { countFlops, type GemmArgs } from '../gemm.js';
import { ShapeError, Tensor } from '../tensor.js';
import type { PickRows } from '../wasm.js';
import { linear } from './linalg.js';
import { logSoftmax } from './softmax.js';
import { ROW_KERNEL_MIN } from './vector.js';

/**
 * The engine's fused product and pick (WasmGemm.greedyPick): false when it cannot run (nothing
 * written). `bias` is added as `linear` adds it; ids skip0 and skip1 are never picked.
 */
export type PickKernel = (args: GemmArgs, bias: Float32Array | null, skip0: number, skip1: number, out: PickRows) => boolean;

let kernel: PickKernel | null = null;

/** Installs (or with null removes) the engine's fused kernel. */
export function setPickKernel(next: PickKernel | null): void {
  kernel = next;
}

export interface PickResult {
  /** The chosen id of each row. */
  words: Int32Array;
  /** log p of the chosen id of each row (the value logSoftmax writes for it). */
  logProbs: Float32Array;
}

/** Reused result buffers of the kernel, grown to the largest batch seen. */
let rows: PickRows | null = null;

function pickRows(n: number): PickRows {
  if (rows === null || rows.best.length < n) {
    rows = { max: new Float64Array(n), sum: new Float64Array(n), best: new Int32Array(n), bestLogit: new Float32Array(n), ok: new Uint8Array(n), ties: new Map() };
  }
  return rows;
}

/**
 * x (N, In), w (In, V) (or with `transposed` (V, In): tied embeddings, as `linear`'s option), b (V) -> per row
 * the first id of largest log-probability among the ids other than `skip` (two ids, e.g. PAD and BOS), and that
 * log-probability. The same results as the general path, `logSoftmax(linear(x, w, b, { transposed }))` and a scan
 * keeping the first largest allowed entry.
 */
export function greedyPick(x: Tensor, w: Tensor, b: Tensor, skip: readonly [number, number], transposed = false): PickResult {
  const inputs = w.shape[transposed ? 1 : 0];
  if (x.rank !== 2 || w.rank !== 2 || x.shape[1] !== inputs) {
    throw new ShapeError('greedyPick', transposed ? 'x must be (N, In) and w (V, In)' : 'x must be (N, In) and w (In, V)', x.shape, w.shape);
  }
  const n = x.shape[0] as number;
  const k = x.shape[1] as number;
  const v = w.shape[transposed ? 0 : 1] as number;
  if (b.rank !== 1 || b.shape[0] !== v) throw new ShapeError('greedyPick', `bias must be (${v})`, w.shape, b.shape);
  const words = new Int32Array(n);
  const logProbs = new Float32Array(n);
  const [skip0, skip1] = skip;
  // Short rows stay on the general path, as in logSoftmax (int8 weights: the kernel runs their own product).
  const out = kernel !== null && n > 0 && k > 0 && v >= ROW_KERNEL_MIN ? pickRows(n) : null;
  const args: GemmArgs = { m: n, n: v, k, a: x.data, b: w.data, c: new Float32Array(0), transB: transposed, bResident: w.requiresGrad };
  if (out !== null && (kernel as PickKernel)(args, b.data, skip0, skip1, out)) {
    countFlops(n, v, k);
    let all = true;
    for (let r = 0; r < n; r++) {
      if (out.ok[r] === 0) {
        all = false;
        break;
      }
      const lse = (out.max[r] as number) + Math.log(out.sum[r] as number);
      const best = out.best[r] as number;
      const lp = Math.fround((out.bestLogit[r] as number) - lse);
      let word = best;
      // An earlier entry whose log-probability rounds to the same float comes first (as in the scan).
      const tie = out.ties.get(r);
      if (tie !== undefined) {
        for (let j = tie.from; j < best; j++) {
          if (j !== skip0 && j !== skip1 && Math.fround((tie.logits[j - tie.from] as number) - lse) === lp) {
            word = j;
            break;
          }
        }
      }
      words[r] = word;
      logProbs[r] = lp;
    }
    if (all) return { words, logProbs };
  }
  return pickGeneral(x, w, b, skip, words, logProbs, transposed);
}

/** The general path: the log-probabilities written out, then a first-largest scan of each row. */
function pickGeneral(x: Tensor, w: Tensor, b: Tensor, skip: readonly [number, number], words: Int32Array, logProbs: Float32Array, transposed: boolean): PickResult {
  const lp = logSoftmax(linear(x, w, b, { transposed })); // from the active tape's arena, as decodeStep's
  return pickFromLogProbs(lp, skip, words, logProbs);
}

/**
 * The scan of the general path over log-probabilities lp (N, V): per row the first largest entry among
 * the ids other than `skip`, and its value (into `words` and `logProbs` when given).
 */
export function pickFromLogProbs(
  lp: Tensor, skip: readonly [number, number], words?: Int32Array, logProbs?: Float32Array,
): PickResult {
  const n = lp.shape[0] as number;
  words ??= new Int32Array(n);
  logProbs ??= new Float32Array(n);
  const v = lp.shape[1] as number;
  const d = lp.data;
  for (let r = 0; r < n; r++) {
    const o = r * v;
    let best = -1;
    let bestV = -Infinity;
    for (let j = 0; j < v; j++) {
      const y = d[o + j] as number;
      if ((best < 0 || y > bestV) && j !== skip[0] && j !== skip[1]) {
        best = j;
        bestV = y;
      }
    }
    words[r] = best;
    logProbs[r] = best < 0 ? NaN : bestV;
  }
  return { words, logProbs };
}
