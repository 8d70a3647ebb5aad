/** Location of the shared corpora (../shared/data from the project root), or null with a printed reason. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function sharedData(relative: string): string | null {
  const p = path.join(root, '..', 'shared', 'data', relative);
  if (!fs.existsSync(p)) {
    console.log(`skipping: ${p} is absent (the shared corpora live in ../shared/data)`);
    return null;
  }
  return p;
}
