/**
 * OUT/valid.jsonl, the learning curve: one JSON object a validation (step, loss, perplexity, BLEU, ...), appended
 * by the trainer. An append is not atomic: a crash in the middle of one leaves a torn last line. Readers drop it
 * (and any other line that is not a JSON object), and a resume cuts the file back to the checkpoint's step, which
 * removes it from the file.
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../util/fs.js';

/** One validation line: its step and whatever else it holds. */
export type ValidRecord = Record<string, unknown> & { step: number };

/** The lines of a valid.jsonl text: the validation records, and how many lines were not one (a torn last line). */
export function parseValidLog(text: string): { records: ValidRecord[]; lines: string[]; torn: number } {
  const records: ValidRecord[] = [];
  const lines: string[] = [];
  let torn = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const record = parseRecord(line);
    if (record === null) torn++;
    else {
      records.push(record);
      lines.push(line);
    }
  }
  return { records, lines, torn };
}

function parseRecord(line: string): ValidRecord | null {
  try {
    const v = JSON.parse(line) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { step?: unknown }).step === 'number' ? (v as ValidRecord) : null;
  } catch {
    return null;
  }
}

/** The validation records of `file` (none when it does not exist); a torn line is left out. */
export function readValidLog(file: string): ValidRecord[] {
  return fs.existsSync(file) ? parseValidLog(fs.readFileSync(file, 'utf8')).records : [];
}

/** Append one validation record (one line). */
export function appendValidLog(file: string, record: ValidRecord): void {
  fs.appendFileSync(file, `${JSON.stringify(record)}\n`);
}

/**
 * Keep only the validations of steps the resumed checkpoint had reached (the ones after it are re-run and logged
 * again by the resumed training) and drop torn lines, rewriting the file atomically when that changes it.
 * Returns how many torn lines were dropped.
 */
export function truncateValidLog(file: string, step: number): number {
  if (!fs.existsSync(file)) return 0;
  const text = fs.readFileSync(file, 'utf8');
  const { records, lines, torn } = parseValidLog(text);
  const keep = lines.filter((_, i) => (records[i] as ValidRecord).step <= step);
  const out = keep.map((l) => `${l}\n`).join('');
  if (out !== text) writeFileAtomic(file, out);
  return torn;
}
