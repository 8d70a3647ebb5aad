/**
 * Builds the page (web/) into web/dist. The page imports the project's own sources (src/viz,
 * src/translate, src/model, src/decode, ...) so one implementation serves the CLI, the server and
 * the page. None of the modules it reaches imports Node (file reading lives in Node-only modules).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  server: { fs: { allow: ['..'] } },
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
