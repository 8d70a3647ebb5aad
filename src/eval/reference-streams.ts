/** Reference lists in the shape the metrics take (browser-safe: validation runs in the page's training worker). */

/**
 * Per-segment reference lists -> sacreBLEU streams: `streams[k][i]` is reference k of segment i,
 * '' where segment i has fewer than k + 1 references (metrics drop empty references per segment).
 */
export function toReferenceStreams(perSegment: readonly (readonly string[])[]): string[][] {
  let maxRefs = 0;
  for (const refs of perSegment) maxRefs = Math.max(maxRefs, refs.length);
  const streams: string[][] = [];
  for (let k = 0; k < maxRefs; k++) streams.push(perSegment.map((refs) => (k < refs.length ? refs[k] : '')));
  return streams;
}
