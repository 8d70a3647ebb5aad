/**
 * Builds the page (web/) into web/dist. The page imports the project's own sources (src/viz,
 * src/model, src/decode, ...) so one implementation serves the CLI, the server and the page.
 * Node built-ins imported by modules the page reaches (for their file-writing functions, never
 * called here) resolve to a stub that throws if ever used.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const stub = fileURLToPath(new URL('./src/node-stub.ts', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: [{ find: /^node:(fs|path|os|url|v8|fs\/promises|worker_threads)$/, replacement: stub }],
  },
  server: { fs: { allow: ['..'] } },
  // The in-browser translator runs in a module worker (web/src/local-worker.ts).
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      onwarn(warning, warn) {
        // engine.ts imports Node modules lazily for Node only; in the page they are the stub.
        if (warning.code === 'INEFFECTIVE_DYNAMIC_IMPORT') return;
        warn(warning);
      },
    },
  },
});
