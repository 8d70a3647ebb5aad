/**
 * Server benchmark: how long small requests wait while a huge one runs, what a disconnect costs, and memory.
 *
 * Model: the size of configs/tatoeba-eng-fra.yaml (bidirectional GRU, embedding and hidden 256, additive
 * attention 256, vocabularies 8000/8000), random weights with end-of-sentence never chosen, so every decode
 * runs to its length limit (2 x the source length): the worst case for the server. Served by `startServer`
 * over real HTTP on 127.0.0.1, one GEMM thread per worker.
 *
 * For each pool (2 workers: the default, one of them for short chunks; 1 worker: chunk interleaving only):
 *   idle     small requests (one sentence of 40 characters, the model's beam 5), one after the other;
 *   loaded   the same while a huge request runs (32 sentences x 1,000 characters, beam 16: work cap raised
 *            for it), for --seconds (default 30); then the huge request's client disconnects;
 *   cancel   time from the disconnect until /health shows nothing pending, and until a small request is answered;
 *   memory   RSS (all threads) idle before, peak while loaded, and 5 s after the cancel;
 * then, with the default pool, six requests of 32 sentences x 100 characters at beam 16 with attention, one after
 * the other: their median time and the RSS before, at the peak and 5 s after.
 *
 *   npm run bench:server                     table
 *   npm run bench:server -- --seconds 60     longer loaded phase
 *   npm run bench:server -- --json           one JSON object per pool, then one for the memory run
 *   npm run bench:server -- --memory         the memory run only
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Vocab } from '../src/data/vocab.js';
import { defaultModelConfig, type RnnModelConfig } from '../src/model/config.js';
import { neverEnds, saveRandomCheckpoint } from '../src/model/random-checkpoint.js';
import { Seq2Seq } from '../src/model/seq2seq.js';
import { startServer } from '../src/server/serve.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const secondsAt = args.indexOf('--seconds');
const SECONDS = secondsAt >= 0 ? Number(args[secondsAt + 1]) : 30;
const onlyMemory = args.includes('--memory');

const SRC_WORDS = Array.from({ length: 7996 }, (_, i) => `w${i.toString(36)}`);

function writeModel(dir: string): string {
  const srcVocab = Vocab.build([SRC_WORDS]);
  const tgtVocab = Vocab.build([Array.from({ length: 7996 }, (_, i) => `m${i.toString(36)}`)]);
  const config: RnnModelConfig = {
    ...defaultModelConfig,
    rnn: 'gru',
    bidirectional: true,
    embedding: 256,
    hidden: 256,
    attention: 'additive',
    attentionHidden: 256,
    dropout: 0,
    srcVocabSize: srcVocab.size,
    tgtVocabSize: tgtVocab.size,
  };
  const model = new Seq2Seq(config, 1);
  neverEnds(model);
  const file = path.join(dir, 'bench-server.safetensors');
  return saveRandomCheckpoint(file, model, srcVocab, tgtVocab, { step: 0, note: 'random weights, EOS never chosen (bench/server.ts)', decoding: { beam: 5, maxLenRatio: 2 } });
}

/** A sentence of about `chars` characters of vocabulary words (seeded by `seed`). */
function sentence(chars: number, seed: number): string {
  const words: string[] = [];
  let len = -1;
  for (let i = 0; len + 1 < chars; i++) {
    const w = SRC_WORDS[(seed * 7919 + i * 104729) % SRC_WORDS.length] as string;
    if (len + 1 + w.length > chars) break;
    words.push(w);
    len += 1 + w.length;
  }
  return words.join(' ');
}

async function post(url: string, body: unknown, signal?: AbortSignal): Promise<number> {
  const res = await fetch(`${url}translate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  await res.arrayBuffer();
  return res.status;
}

interface Health {
  pending: number;
  rss_mb: number;
}

async function health(url: string): Promise<Health> {
  return (await (await fetch(`${url}health`)).json()) as Health;
}

/** Polls /health every 250 ms; `stop()` gives the highest RSS seen (at least `start`). */
function watchRss(url: string, start: number): { stop: () => Promise<number> } {
  let peak = start;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      peak = Math.max(peak, (await health(url)).rss_mb);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    stop: async () => {
      watching = false;
      await watcher;
      return peak;
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Small requests one after the other until `until()`; their latencies in ms. */
async function smallStream(url: string, until: () => boolean, max = Infinity): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; !until() && i < max; i++) {
    const t0 = performance.now();
    const status = await post(url, { text: sentence(40, 1000 + i) });
    if (status !== 200) throw new Error(`small request answered ${status}`);
    out.push(performance.now() - t0);
  }
  return out;
}

interface Row {
  workers: number;
  idle_median_ms: number;
  idle_max_ms: number;
  loaded_n: number;
  loaded_median_ms: number;
  loaded_max_ms: number;
  cancel_pending_ms: number;
  cancel_next_ms: number;
  rss_idle_mb: number;
  rss_peak_mb: number;
  rss_after_mb: number;
}

async function run(file: string, workers: number): Promise<Row> {
  const server = await startServer({
    models: [file],
    port: 0,
    staticDir: null,
    log: () => undefined,
    pool: { workers },
    limits: { maxWork: 32 * 1000 * 16, timeoutMs: 3_600_000 },
  });
  const url = server.url;
  try {
    await smallStream(url, () => false, 3); // warm-up
    const idle = await smallStream(url, () => false, 15);
    const rssIdle = (await health(url)).rss_mb;

    const huge = new AbortController();
    const texts = Array.from({ length: 32 }, (_, i) => sentence(1000, i));
    const hugeDone = post(url, { texts, beam: 16 }, huge.signal).catch(() => 'aborted');
    while ((await health(url)).pending < 1) await new Promise((r) => setTimeout(r, 10));
    const end = performance.now() + SECONDS * 1000;
    const rss = watchRss(url, rssIdle);
    const loaded = await smallStream(url, () => performance.now() > end);
    const peak = await rss.stop();

    const t0 = performance.now();
    huge.abort();
    await hugeDone;
    while ((await health(url)).pending > 0) await new Promise((r) => setTimeout(r, 5));
    const cancelPending = performance.now() - t0;
    await post(url, { text: sentence(40, 1) });
    const cancelNext = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 5000));
    const rssAfter = (await health(url)).rss_mb;
    return {
      workers,
      idle_median_ms: Math.round(median(idle)),
      idle_max_ms: Math.round(Math.max(...idle)),
      loaded_n: loaded.length,
      loaded_median_ms: Math.round(median(loaded)),
      loaded_max_ms: Math.round(Math.max(...loaded)),
      cancel_pending_ms: Math.round(cancelPending),
      cancel_next_ms: Math.round(cancelNext),
      rss_idle_mb: rssIdle,
      rss_peak_mb: peak,
      rss_after_mb: rssAfter,
    };
  } finally {
    await server.close();
  }
}

interface MemoryRow {
  requests: number;
  median_ms: number;
  rss_before_mb: number;
  rss_peak_mb: number;
  rss_after_mb: number;
}

async function memory(file: string): Promise<MemoryRow> {
  const server = await startServer({ models: [file], port: 0, staticDir: null, log: () => undefined, limits: { timeoutMs: 3_600_000 } });
  const url = server.url;
  try {
    await smallStream(url, () => false, 3);
    const before = (await health(url)).rss_mb;
    const rss = watchRss(url, before);
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      const status = await post(url, { texts: Array.from({ length: 32 }, (_, k) => sentence(100, 100 * i + k)), beam: 16, attention: true });
      if (status !== 200) throw new Error(`request answered ${status}`);
      times.push(performance.now() - t0);
    }
    const peak = await rss.stop();
    await new Promise((r) => setTimeout(r, 5000));
    return { requests: 6, median_ms: Math.round(median(times)), rss_before_mb: before, rss_peak_mb: peak, rss_after_mb: (await health(url)).rss_mb };
  } finally {
    await server.close();
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnmt-bench-server-'));
try {
  const file = writeModel(dir);
  const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
  if (!json) {
    console.log(`bench:server  model ${path.basename(file)} (GRU 256, vocab 8000, EOS never chosen), huge request 32 x 1000 chars at beam 16 for ${SECONDS} s`);
    console.log(`load average before: ${load()}  (${os.cpus().length} cores)`);
    console.log('workers | idle small ms (median / max) | small during huge: n, median / max ms | cancel: pending 0 / next answered ms | RSS MB idle / peak / 5 s after');
  }
  for (const workers of onlyMemory ? [] : [2, 1]) {
    const r = await run(file, workers);
    if (json) console.log(JSON.stringify({ ...r, load: os.loadavg() }));
    else {
      console.log(
        `${String(r.workers).padStart(7)} | ${`${r.idle_median_ms} / ${r.idle_max_ms}`.padStart(28)} | ${`${r.loaded_n}, ${r.loaded_median_ms} / ${r.loaded_max_ms}`.padStart(36)} | ` +
          `${`${r.cancel_pending_ms} / ${r.cancel_next_ms}`.padStart(35)} | ${r.rss_idle_mb} / ${r.rss_peak_mb} / ${r.rss_after_mb}`,
      );
    }
  }
  const m = await memory(file);
  if (json) console.log(JSON.stringify({ memory: m, load: os.loadavg() }));
  else {
    console.log(
      `memory: ${m.requests} requests of 32 x 100 chars at beam 16 with attention, median ${m.median_ms} ms; ` +
        `RSS MB before ${m.rss_before_mb}, peak ${m.rss_peak_mb}, 5 s after ${m.rss_after_mb}`,
    );
    console.log(`load average after: ${load()}`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
