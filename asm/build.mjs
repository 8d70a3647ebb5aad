// Compiles asm/gemm.ts into the four WebAssembly builds the engine loads (build/*.wasm):
//   gemm-simd.wasm        plain SIMD, unshared imported memory (browser page, one thread)
//   gemm-relaxed.wasm     relaxed SIMD (f32x4.relaxed_madd), unshared memory
//   gemm-simd-mt.wasm     plain SIMD, shared imported memory (worker threads)
//   gemm-relaxed-mt.wasm  relaxed SIMD, shared memory
// and asm/int8.ts into the int8 decoding kernels (src/engine/int8.ts), one thread, unshared memory:
//   int8-simd.wasm        plain SIMD (i16x8.extmul + i32x4.extadd_pairwise)
//   int8-relaxed.wasm     relaxed SIMD (i32x4.relaxed_dot_i8x16_i7x16_add_s), same results
// Run by `npm run build:wasm` (part of `npm run build`, which `npm ci` runs through `prepare`).
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build');
mkdirSync(outDir, { recursive: true });

/** Largest shared memory the engine asks for, in 64 KiB pages (2 GiB). */
const MAX_PAGES = 32768;

const variants = [
  { name: 'gemm-simd', relaxed: false, shared: false },
  { name: 'gemm-relaxed', relaxed: true, shared: false },
  { name: 'gemm-simd-mt', relaxed: false, shared: true },
  { name: 'gemm-relaxed-mt', relaxed: true, shared: true },
];

for (const v of variants) {
  const args = [
    join(root, 'asm', 'gemm.ts'),
    '--outFile', join(outDir, `${v.name}.wasm`),
    '-O3', '--noAssert', '--runtime', 'stub', '--importMemory', '--initialMemory', '1',
    '--enable', 'simd',
  ];
  if (v.relaxed) args.push('--enable', 'relaxed-simd');
  if (v.shared) args.push('--enable', 'threads', '--sharedMemory', '--maximumMemory', String(MAX_PAGES));
  const { error, stderr } = await asc.main(args);
  if (error) {
    console.error(stderr.toString());
    console.error(`asm/build.mjs: compiling ${v.name}.wasm failed: ${error.message}`);
    process.exit(1);
  }
}
for (const v of [{ name: 'int8-simd', relaxed: false }, { name: 'int8-relaxed', relaxed: true }]) {
  const args = [
    join(root, 'asm', 'int8.ts'), '--outFile', join(outDir, `${v.name}.wasm`),
    '-O3', '--noAssert', '--runtime', 'stub', '--importMemory', '--initialMemory', '1', '--enable', 'simd',
  ];
  if (v.relaxed) args.push('--enable', 'relaxed-simd');
  const { error, stderr } = await asc.main(args);
  if (error) {
    console.error(stderr.toString());
    console.error(`asm/build.mjs: compiling ${v.name}.wasm failed: ${error.message}`);
    process.exit(1);
  }
}
// The FMA ceiling probe of bench/engine.ts (not loaded by the engine).
{
  const { error, stderr } = await asc.main([
    join(root, 'asm', 'peak.ts'), '--outFile', join(outDir, 'peak.wasm'),
    '-O3', '--noAssert', '--runtime', 'stub', '--enable', 'simd', '--enable', 'relaxed-simd',
  ]);
  if (error) {
    console.error(stderr.toString());
    console.error(`asm/build.mjs: compiling peak.wasm failed: ${error.message}`);
    process.exit(1);
  }
}
console.log(`asm/build.mjs: wrote ${variants.map((v) => `build/${v.name}.wasm`).join(', ')}, build/int8-simd.wasm, build/int8-relaxed.wasm, build/peak.wasm`);
