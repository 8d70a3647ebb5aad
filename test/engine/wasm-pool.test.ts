import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CTRL_CHUNKS, CTRL_COUNTER, CTRL_DONE, CTRL_FAILED, CTRL_INTS, CTRL_KIND, CTRL_PARAMS, takeChunks } from '../../src/engine/pool.js';

function job(gen16: number, chunks: number): Int32Array {
  const ctrl = new Int32Array(new SharedArrayBuffer(CTRL_INTS * 4));
  ctrl[CTRL_CHUNKS] = chunks;
  ctrl[CTRL_KIND] = 7;
  ctrl[CTRL_PARAMS] = 4096;
  ctrl[CTRL_COUNTER] = gen16 << 16;
  return ctrl;
}

describe('pool: takeChunks', () => {
  it('runs every chunk of the current job once, with its kind, params and the scratch', () => {
    const ctrl = job(0xbeef, 5);
    const seen: number[][] = [];
    const failure = takeChunks(ctrl, (kind, params, chunk, scratch) => void seen.push([kind, params, chunk, scratch]), 0xbeef, 64);
    assert.equal(failure, undefined);
    assert.deepEqual(seen, [0, 1, 2, 3, 4].map((c) => [7, 4096, c, 64]));
    assert.equal(ctrl[CTRL_DONE], 5);
  });

  it('takes nothing from a job of another generation', () => {
    const ctrl = job(3, 5);
    let ran = 0;
    takeChunks(ctrl, () => void ran++, 2, 0);
    assert.equal(ran, 0);
    assert.equal(ctrl[CTRL_COUNTER], 3 << 16);
  });

  it('counts a failing chunk as done, flags the job and returns the first error', () => {
    const ctrl = job(1, 4);
    const ran: number[] = [];
    const failure = takeChunks(ctrl, (_k, _p, chunk) => {
      ran.push(chunk);
      if (chunk === 1) throw new Error('trap in chunk 1');
    }, 1, 0);
    assert.ok(failure instanceof Error && failure.message === 'trap in chunk 1');
    assert.deepEqual(ran, [0, 1, 2, 3]);
    assert.equal(ctrl[CTRL_DONE], 4);
    assert.equal(ctrl[CTRL_FAILED], 1);
  });
});
