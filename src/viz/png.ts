/**
 * SVG to PNG with @resvg/resvg-js (Node only), and atomic writers for both formats.
 *
 * Text needs fonts: resvg loads the system's fonts (and any `fontFiles` given). On a machine with
 * none the picture still renders, without its labels, and `onWarning` is told why.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import { makeDirs, writeFileAtomic } from '../util/fs.js';

export interface PngOptions {
  /** Zoom factor (2 = twice the SVG's pixel size). Default 1. */
  scale?: number;
  /** Extra font files to load (e.g. a font covering the target language). */
  fontFiles?: string[];
  /** Load the system's fonts (default true). */
  loadSystemFonts?: boolean;
  /** Called with a message when no font could be found (default: silent). */
  onWarning?: (message: string) => void;
}

const FONT_EXTENSIONS = /\.(ttf|otf|ttc|otc)$/i;

/** Directories where resvg looks for system fonts on Linux, macOS and Windows. */
export function systemFontDirs(): string[] {
  const home = os.homedir();
  return [
    '/usr/share/fonts',
    '/usr/local/share/fonts',
    path.join(home, '.fonts'),
    path.join(home, '.local/share/fonts'),
    '/System/Library/Fonts',
    '/Library/Fonts',
    path.join(process.env['WINDIR'] ?? 'C:\\Windows', 'Fonts'),
  ];
}

function hasFontFile(dir: string, depth: number): boolean {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    if (e.isFile() && FONT_EXTENSIONS.test(e.name)) return true;
  }
  if (depth <= 0) return false;
  return entries.some((e) => e.isDirectory() && hasFontFile(path.join(dir, e.name), depth - 1));
}

let systemFontsCache: boolean | null = null;

/** True when at least one font file exists in the usual system font directories. */
export function systemFontsAvailable(): boolean {
  if (systemFontsCache === null) systemFontsCache = systemFontDirs().some((d) => hasFontFile(d, 3));
  return systemFontsCache;
}

/** Render an SVG document to PNG bytes. */
export function svgToPng(svg: string, opts: PngOptions = {}): Uint8Array {
  const loadSystemFonts = opts.loadSystemFonts ?? true;
  const fontFiles = (opts.fontFiles ?? []).filter((f) => {
    if (fs.existsSync(f)) return true;
    opts.onWarning?.(`font file ${f} does not exist; ignoring it`);
    return false;
  });
  if (fontFiles.length === 0 && !(loadSystemFonts && systemFontsAvailable())) {
    opts.onWarning?.('no fonts found: the PNG is drawn without its text labels (the SVG keeps them)');
  }
  const options: ResvgRenderOptions = {
    font: { loadSystemFonts, fontFiles, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    background: '#ffffff',
    logLevel: 'off',
  };
  const scale = opts.scale ?? 1;
  if (!(scale > 0 && Number.isFinite(scale))) throw new Error(`svgToPng: scale must be a positive number, got ${scale}`);
  if (scale !== 1) options.fitTo = { mode: 'zoom', value: scale };
  const png = new Resvg(svg, options).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** Write bytes or text atomically (src/util/fs.ts), creating the directory first. */
function writeInDir(file: string, data: Uint8Array | string): void {
  makeDirs(path.dirname(path.resolve(file)));
  writeFileAtomic(file, data);
}

/** Render `svg` and write it as a PNG file (atomically). */
export function writePng(file: string, svg: string, opts: PngOptions = {}): void {
  writeInDir(file, svgToPng(svg, opts));
}

/** Write a picture as SVG or PNG depending on the file extension (.svg, .png). */
export function writePicture(file: string, svg: string, opts: PngOptions = {}): void {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.svg') writeInDir(file, svg);
  else if (ext === '.png') writePng(file, svg, opts);
  else throw new Error(`${file}: unknown picture format "${ext}" (use .svg or .png)`);
}
