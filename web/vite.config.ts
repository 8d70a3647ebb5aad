/**
 * Builds the page (web/) into web/dist. The page imports the project's own sources (src/viz,
 * src/translate, src/model, src/decode, ...) so one implementation serves the CLI, the server and
 * the page. None of the modules it reaches imports Node (file reading lives in Node-only modules).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { COMMON_HEADERS, ISOLATION_HEADERS, PAGE_HEADERS } from '../src/server/http-policy.js';

/** web/dist/_headers: the headers `attnmt serve` sends (COOP/COEP, CSP, ...), for static hosts that read that file. */
function headersFile(): Plugin {
  return {
    name: 'attnmt-headers-file',
    generateBundle() {
      const lines = Object.entries({ ...COMMON_HEADERS, ...PAGE_HEADERS }).map(([k, v]) => `  ${k}: ${v}`);
      this.emitFile({ type: 'asset', fileName: '_headers', source: `/*\n${lines.join('\n')}\n` });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  server: { fs: { allow: ['..'] }, headers: { ...ISOLATION_HEADERS } },
  preview: { headers: { ...ISOLATION_HEADERS } },
  plugins: [headersFile()],
  // The in-browser translator runs in a module worker (web/src/local-worker.ts).
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
  },
});
