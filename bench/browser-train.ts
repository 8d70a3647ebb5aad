/**
 * "Train here" in headless Chromium: time from pressing the button to the first redraw where the
 * attention model translates "the black cat ate the mouse" as "le chat noir a mangé la souris" with
 * chat->cat and noir->black (the page's own check, web/src/train-here.ts). Both models train, one
 * Web Worker each, on this machine's cores; the page is served with its COOP/COEP headers.
 *
 *   npm run bench:browser-train                 (gives up after 10 minutes)
 *   npm run bench:browser-train -- --limit 900  (seconds)
 *
 * Prints the seconds, the steps each model had done, their steps/s, and the machine's load.
 */
import os from 'node:os';
import { chromium } from 'playwright-core';
import { defaultStaticDir, startPageServer } from '../src/server/static.js';

const CHROMIUM = '/usr/bin/chromium';

async function main(): Promise<void> {
  const limitArg = process.argv.indexOf('--limit');
  const limit = limitArg >= 0 ? Number(process.argv[limitArg + 1]) : 600;
  const dist = defaultStaticDir();
  if (dist === null) throw new Error('web/dist is not built (npm run build:web)');
  const server = await startPageServer(dist);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const loadBefore = os.loadavg();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.click('#train-start');
    const started = Date.now();
    let lastLine = '';
    for (;;) {
      const state: Record<string, string | undefined> & { progress: string; check: string } = await page.evaluate(() => {
        const s = document.getElementById('train') as HTMLElement;
        return { ...s.dataset, progress: document.getElementById('train-progress')?.textContent ?? '', check: document.getElementById('train-check')?.textContent ?? '' };
      });
      if (errors.length > 0 || state['state'] === 'error') throw new Error(`the page failed: ${errors.join('; ') || state.progress}`);
      if (state.progress !== lastLine && Date.now() - started > 0) {
        lastLine = state.progress;
        process.stderr.write(`\r${lastLine.slice(0, 150).padEnd(150)}`);
      }
      if (state['correctSeconds'] !== undefined) {
        process.stderr.write('\n');
        const load = os.loadavg();
        process.stdout.write(
          `browser-train: correct translation with chat->cat, noir->black after ${state['correctSeconds']} s ` +
            `(attention model step ${state['correctStep']}); ${state.progress}\n` +
            `isolated: ${state['isolated']}, workers: ${state['workers']}, engine: ${state['engineAttention']}; ` +
            `load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${load.map((x) => x.toFixed(2)).join(' ')} (${os.availableParallelism()} cores)\n`,
        );
        return;
      }
      if ((Date.now() - started) / 1000 > limit) {
        process.stderr.write('\n');
        throw new Error(`no correct translation after ${limit} s: ${state.check} (${state.progress})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:browser-train: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
