// Compiles asm/gemm.ts into the four WebAssembly builds the engine loads (build/*.wasm):
//   gemm-simd.wasm        plain SIMD, unshared imported memory (browser page, one thread)
//   gemm-relaxed.wasm     relaxed SIMD (f32x4.relaxed_madd), unshared memory
//   gemm-simd-mt.wasm     plain SIMD, shared imported memory (worker threads)
//   gemm-relaxed-mt.wasm  relaxed SIMD, shared memory
// and asm/int8.ts into the int8 decoding kernels (src/engine/int8.ts):
//   int8-simd.wasm        plain SIMD (v128.load8x8_s/_u + i32x4.dot_i16x8_s), unshared memory (one thread)
//   int8-relaxed.wasm     relaxed SIMD (i32x4.relaxed_dot_i8x16_i7x16_add_s), same results
//   int8-simd-mt.wasm     plain SIMD, shared memory: the int8 jobs of the float build's worker pool
//   int8-relaxed-mt.wasm  relaxed SIMD, shared memory
// The -mt int8 modules are instantiated on the float module's shared memory (in every thread), so
// they must bring no data segments of their own: instantiating one would overwrite the float
// module's static data. The build fails if they do.
// Run by `npm run build:wasm` (part of `npm run build`, which `npm ci` runs through `prepare`).
import asc from 'assemblyscript/asc';
import { mkdirSync, readFileSync } from 'node:fs';
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

const int8Variants = [
  { name: 'int8-simd', relaxed: false, shared: false },
  { name: 'int8-relaxed', relaxed: true, shared: false },
  { name: 'int8-simd-mt', relaxed: false, shared: true },
  { name: 'int8-relaxed-mt', relaxed: true, shared: true },
];

/** Compiles asm/<source>.ts into build/<v.name>.wasm (relaxed SIMD and shared memory as `v` says); returns its path. */
async function compile(source, v) {
  const out = join(outDir, `${v.name}.wasm`);
  const args = [
    join(root, 'asm', `${source}.ts`), '--outFile', out,
    '-O3', '--noAssert', '--runtime', 'stub', '--importMemory', '--initialMemory', '1', '--enable', 'simd',
  ];
  if (v.relaxed) args.push('--enable', 'relaxed-simd');
  if (v.shared) args.push('--enable', 'threads', '--sharedMemory', '--maximumMemory', String(MAX_PAGES));
  const { error, stderr } = await asc.main(args);
  if (error) {
    console.error(stderr.toString());
    console.error(`asm/build.mjs: compiling ${v.name}.wasm failed: ${error.message}`);
    process.exit(1);
  }
  return out;
}

for (const v of variants) await compile('gemm', v);
for (const v of int8Variants) {
  const out = await compile('int8', v);
  if (v.shared && dataSegments(readFileSync(out)) > 0) {
    console.error(`asm/build.mjs: ${v.name}.wasm has data segments; it shares the float module's memory and must have none`);
    process.exit(1);
  }
}

/** Data segments a WebAssembly binary declares (its data section, id 11; 0 without one). */
function dataSegments(bytes) {
  const leb = (at) => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[at.pos++];
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return value;
    }
  };
  const at = { pos: 8 }; // after the magic number and version
  while (at.pos < bytes.length) {
    const id = bytes[at.pos++];
    const size = leb(at);
    if (id === 11) return leb({ pos: at.pos });
    at.pos += size;
  }
  return 0;
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
console.log(`asm/build.mjs: wrote ${[...variants, ...int8Variants].map((v) => `build/${v.name}.wasm`).join(', ')}, build/peak.wasm`);
