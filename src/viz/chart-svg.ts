/**
 * Line chart of BLEU by source-sentence length: the analogue of Bahdanau et al. (2015) Figure 2,
 * where the fixed-context encoder-decoder falls off on long sentences and the attention model does not.
 *
 * x = length bucket (categorical), y = BLEU, one line per model. A bucket with no sentences for
 * a model is `null` and leaves a gap in that model's line. Browser-safe (no Node imports).
 */
import { FONT_FAMILY, SERIES_COLORS, num, textWidth, xmlEscape } from './svg-util.js';

/** Source length buckets of the evaluation study (in tokens, without EOS). */
export const LENGTH_BUCKETS = ['1-5', '6-10', '11-15', '16-20', '21-30', '31+'] as const;

/** The bucket of LENGTH_BUCKETS a source of `length` tokens falls in. */
export function lengthBucket(length: number): (typeof LENGTH_BUCKETS)[number] {
  if (!Number.isInteger(length) || length < 1) throw new Error(`lengthBucket: length must be a positive integer, got ${length}`);
  if (length <= 5) return '1-5';
  if (length <= 10) return '6-10';
  if (length <= 15) return '11-15';
  if (length <= 20) return '16-20';
  if (length <= 30) return '21-30';
  return '31+';
}

/**
 * A set of source-length buckets: the bucket labels in order and the bucket of a length. The study's default
 * is LENGTH_BUCKETS; a corpus whose sentences are shorter or more alike (Multi30k's captions, 6 to 30 words)
 * gets narrower buckets from lengthBuckets.
 */
export interface LengthBuckets {
  readonly labels: readonly string[];
  of(length: number): string;
}

/**
 * Buckets from the last length of each closed bucket, ascending: [5, 10] gives 1-5, 6-10 and 11+ (a bucket
 * of one length is labelled by that length alone).
 */
export function lengthBuckets(upperBounds: readonly number[]): LengthBuckets {
  if (upperBounds.length === 0) throw new Error('lengthBuckets: no upper bounds');
  upperBounds.forEach((u, i) => {
    if (!Number.isInteger(u) || u < 1 || (i > 0 && u <= (upperBounds[i - 1] as number))) {
      throw new Error(`lengthBuckets: upper bounds must be ascending positive integers, got ${upperBounds.join(', ')}`);
    }
  });
  const labels = upperBounds.map((u, i) => {
    const lo = i === 0 ? 1 : (upperBounds[i - 1] as number) + 1;
    return lo === u ? String(u) : `${lo}-${u}`;
  });
  labels.push(`${(upperBounds[upperBounds.length - 1] as number) + 1}+`);
  return {
    labels,
    of(length: number): string {
      if (!Number.isInteger(length) || length < 1) throw new Error(`lengthBucket: length must be a positive integer, got ${length}`);
      const i = upperBounds.findIndex((u) => length <= u);
      return labels[i < 0 ? labels.length - 1 : i] as string;
    },
  };
}

/** LENGTH_BUCKETS as a LengthBuckets (the default of scoring by length). */
export const STUDY_BUCKETS: LengthBuckets = { labels: LENGTH_BUCKETS, of: lengthBucket };

export interface ChartSeries {
  /** Legend entry, e.g. "attention" or "fixed-context baseline". */
  name: string;
  /** One value per bucket (same order as `buckets`); null = no data. */
  values: readonly (number | null)[];
  /** Line colour (default: from a colour-blind safe palette). */
  color?: string;
}

export interface LineChartOptions {
  buckets: readonly string[];
  series: readonly ChartSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Top of the y axis (default: a round number above the largest value). */
  yMax?: number;
  width?: number;
  height?: number;
}

/** A "nice" step (1, 2, 2.5 or 5 times a power of ten) giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * pow >= raw) return m * pow;
  }
  return 10 * pow;
}

/** Render the chart as a standalone SVG document (string). */
export function lineChartSvg(opts: LineChartOptions): string {
  const { buckets, series } = opts;
  if (buckets.length === 0) throw new Error('lineChartSvg: no buckets');
  series.forEach((s) => {
    if (s.values.length !== buckets.length) {
      throw new Error(`lineChartSvg: series "${s.name}" has ${s.values.length} values for ${buckets.length} buckets`);
    }
  });
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  const font = 12;
  const yMax = opts.yMax ?? niceCeiling(series);
  const step = niceStep(yMax);
  const tickLabels: number[] = [];
  for (let v = 0; v <= yMax + step / 1000; v += step) tickLabels.push(Math.round(v * 1000) / 1000);

  const titleH = opts.title ? 28 : 8;
  const legendH = 22;
  const yAxisW = Math.max(...tickLabels.map((v) => textWidth(String(v), font))) + 10 + (opts.yLabel ? 20 : 0);
  const left = 12 + yAxisW;
  const right = 20;
  const top = titleH + legendH + 8;
  const bottom = 30 + (opts.xLabel ? 20 : 0);
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  if (plotW < 40 || plotH < 40) throw new Error(`lineChartSvg: ${width}x${height} is too small for the chart`);
  const xOf = (i: number): number => left + ((i + 0.5) * plotW) / buckets.length;
  const yOf = (v: number): number => top + plotH - (Math.min(v, yMax) / yMax) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="attn-chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${FONT_FAMILY}" font-size="${font}">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (opts.title) {
    out.push(`<text class="chart-title" x="${num(width / 2)}" y="20" text-anchor="middle" font-size="15" font-weight="bold" fill="#111827">${xmlEscape(opts.title)}</text>`);
  }
  // Grid and y ticks.
  out.push('<g class="chart-y-axis" fill="#374151">');
  for (const v of tickLabels) {
    const y = yOf(v);
    out.push(`<line x1="${num(left)}" x2="${num(left + plotW)}" y1="${num(y)}" y2="${num(y)}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${num(left - 6)}" y="${num(y)}" dy="0.35em" text-anchor="end">${v}</text>`);
  }
  if (opts.yLabel) {
    out.push(`<text transform="translate(14,${num(top + plotH / 2)}) rotate(-90)" text-anchor="middle">${xmlEscape(opts.yLabel)}</text>`);
  }
  out.push('</g>');
  out.push('<g class="chart-x-axis" fill="#374151" text-anchor="middle">');
  buckets.forEach((b, i) => {
    out.push(`<text x="${num(xOf(i))}" y="${num(top + plotH + 18)}">${xmlEscape(b)}</text>`);
  });
  if (opts.xLabel) out.push(`<text x="${num(left + plotW / 2)}" y="${num(height - 8)}">${xmlEscape(opts.xLabel)}</text>`);
  out.push('</g>');
  out.push(`<rect x="${num(left)}" y="${num(top)}" width="${num(plotW)}" height="${num(plotH)}" fill="none" stroke="#9ca3af"/>`);

  series.forEach((s, k) => {
    const color = s.color ?? SERIES_COLORS[k % SERIES_COLORS.length] ?? '#000000';
    out.push(`<g class="chart-series" data-series="${xmlEscape(s.name)}" stroke="${xmlEscape(color)}" fill="${xmlEscape(color)}">`);
    // Split the line at nulls so a missing bucket shows as a gap.
    let run: string[] = [];
    const flush = (): void => {
      if (run.length > 1) out.push(`<polyline points="${run.join(' ')}" fill="none" stroke-width="2.5" stroke-linejoin="round"/>`);
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        flush();
        return;
      }
      run.push(`${num(xOf(i))},${num(yOf(v))}`);
    });
    flush();
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      const marker =
        k % 2 === 0
          ? `<circle cx="${num(xOf(i))}" cy="${num(yOf(v))}" r="4"`
          : `<rect x="${num(xOf(i) - 4)}" y="${num(yOf(v) - 4)}" width="8" height="8"`;
      out.push(`${marker} stroke="none" data-bucket="${xmlEscape(buckets[i] ?? '')}" data-value="${v}"><title>${xmlEscape(`${s.name}, ${buckets[i] ?? ''}: ${v.toFixed(2)}`)}</title>${k % 2 === 0 ? '</circle>' : '</rect>'}`);
    });
    out.push('</g>');
  });

  // Legend on one row above the plot.
  out.push('<g class="chart-legend" fill="#111827">');
  let lx = left;
  const ly = titleH + 12;
  series.forEach((s, k) => {
    const color = s.color ?? SERIES_COLORS[k % SERIES_COLORS.length] ?? '#000000';
    out.push(`<line x1="${num(lx)}" x2="${num(lx + 22)}" y1="${num(ly)}" y2="${num(ly)}" stroke="${xmlEscape(color)}" stroke-width="2.5"/>`);
    out.push(`<text x="${num(lx + 28)}" y="${num(ly)}" dy="0.35em">${xmlEscape(s.name)}</text>`);
    lx += 28 + textWidth(s.name, font) + 24;
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}

/** The evaluation study's chart: BLEU by source length bucket, one line per model. */
/** The axis top lineChartSvg would choose for these series (5% headroom, rounded up to a tick). */
function niceCeiling(series: readonly ChartSeries[]): number {
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const dataMax = Math.max(0, ...values);
  const step = niceStep(dataMax > 0 ? dataMax * 1.05 : 1);
  return Math.max(step, Math.ceil((dataMax * 1.05) / step) * step);
}

export function bleuByLengthChartSvg(
  series: readonly ChartSeries[],
  opts: { title?: string; buckets?: readonly string[] } = {},
): string {
  return lineChartSvg({
    buckets: opts.buckets ?? LENGTH_BUCKETS,
    series,
    title: opts.title ?? 'BLEU by source sentence length',
    xLabel: 'source sentence length (tokens)',
    yLabel: 'BLEU',
    // BLEU is at most 100: the axis stops there rather than at the next tick past the highest point.
    yMax: Math.min(100, niceCeiling(series)),
  });
}
