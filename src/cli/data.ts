/**
 * `attnmt data get seed|tatoeba-eng-fra|multi30k [--out DIR] [--url URL] [--sha256 HEX]`: fetch a public
 * corpus (or generate the built-in one) into DIR (default data/<corpus>), in the layout configs/*.yaml
 * read, with DIR/MANIFEST.json recording every download's URL, size and SHA-256 (src/data/corpora.ts).
 */
import * as path from 'node:path';
import { z } from 'zod';
import { CORPUS_NAMES, getCorpus, type CorpusName } from '../data/corpora.js';
import { opt, parseOptions } from './options.js';

export const DataGetOptionsSchema = z.object({
  out: opt.file.optional(),
  url: opt.file.optional(),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hexadecimal digits').optional(),
});

export async function dataGetCommand(corpus: string, raw: unknown): Promise<void> {
  const o = parseOptions(DataGetOptionsSchema, raw);
  const name = corpus as CorpusName; // commander checked the choice
  const out = o.out ?? path.join('data', name);
  const manifest = await getCorpus(name, { out, ...(o.url === undefined ? {} : { url: o.url }), ...(o.sha256 === undefined ? {} : { sha256: o.sha256 }) });
  const lines = [
    ...manifest.downloads.map((d) => `${d.url}: ${d.bytes} bytes, sha256 ${d.sha256}${d.verified ? ' (verified)' : ''}`),
    ...manifest.notes,
    `Wrote ${manifest.files.map((f) => path.join(out, f.file)).join(', ')} and ${path.join(out, 'MANIFEST.json')}.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export { CORPUS_NAMES };
