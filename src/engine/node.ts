/**
 * Node's built-in modules for the engine's Node-only paths (reading the kernels from build/, the
 * core count, the relaxed-SIMD flag, worker threads). The engine also runs in the browser, where
 * these paths are never taken: the specifier is computed, so bundlers do not try to pack Node.
 */
interface NodeBuiltins {
  'fs/promises': typeof import('node:fs/promises');
  os: typeof import('node:os');
  v8: typeof import('node:v8');
  worker_threads: typeof import('node:worker_threads');
}

export async function nodeBuiltin<K extends keyof NodeBuiltins>(name: K): Promise<NodeBuiltins[K]> {
  const specifier = `node:${name}`;
  return (await import(/* @vite-ignore */ specifier)) as NodeBuiltins[K];
}
