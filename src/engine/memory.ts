/** Growing and laying out WebAssembly memory (the float GEMM in wasm.ts and the int8 kernels in int8.ts). Browser-safe. */

/** A WebAssembly memory page, in bytes. */
export const PAGE = 65536;
/** Largest memory a kernel module asks for, in 64 KiB pages: 2 GiB (must match asm/build.mjs). */
export const MAX_PAGES = 32768;

/** `x` rounded up to a multiple of `to`. */
export function align(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** Consecutive 64-byte aligned regions of the given byte counts from `start`; the last entry is their end. */
export function byteRegions(start: number, bytes: readonly number[]): number[] {
  const out: number[] = [];
  let at = align(start, 64);
  for (const b of bytes) {
    out.push(at);
    at = align(at + b, 64);
  }
  out.push(at);
  return out;
}

/** Makes `memory` at least `bytes` long; false when it cannot grow that far. */
export function growMemory(memory: WebAssembly.Memory, bytes: number): boolean {
  const have = memory.buffer.byteLength;
  if (bytes <= have) return true;
  try {
    memory.grow(Math.ceil((bytes - have) / PAGE));
    return true;
  } catch {
    return false;
  }
}
