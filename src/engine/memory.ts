/** Growing a WebAssembly memory (the float GEMM in wasm.ts and the int8 kernels in int8.ts). Browser-safe. */

const PAGE = 65536;

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
