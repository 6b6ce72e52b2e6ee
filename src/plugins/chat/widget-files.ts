import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The widget's files (src/plugins/chat/widget/), served as they are; the frame page is a template. */
export const WIDGET_FILES = {
  'loader.js': 'text/javascript; charset=utf-8',
  'frame.js': 'text/javascript; charset=utf-8',
  'frame.css': 'text/css; charset=utf-8',
  'frame.html': 'text/html; charset=utf-8',
} as const;

export type WidgetFileName = keyof typeof WIDGET_FILES;

export interface WidgetFile {
  body: Buffer;
  contentType: string;
  /** A strong validator of the content: `"<sha256 prefix>"`. */
  etag: string;
}

/**
 * Reads the widget's files from `folder` (by default widget/ beside this code, where the build
 * copies it, else src/plugins/chat/widget of the checkout the code runs from), again only when a
 * file changed on disk.
 */
export class WidgetFiles {
  private readonly cache = new Map<string, { mtimeMs: number; size: number; file: WidgetFile }>();

  constructor(private readonly folder: string = defaultWidgetFolder()) {}

  /** The file, or null when it is missing (the widget is not installed: the route answers 404). */
  read(name: WidgetFileName): WidgetFile | null {
    const path = join(this.folder, name);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return null;
    }
    const cached = this.cache.get(name);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.file;
    const body = readFileSync(path);
    const file: WidgetFile = { body, contentType: WIDGET_FILES[name], etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    this.cache.set(name, { mtimeMs: stat.mtimeMs, size: stat.size, file });
    return file;
  }
}

export function defaultWidgetFolder(codeFolder: string = __dirname): string {
  const beside = join(codeFolder, 'widget');
  if (existsSync(join(beside, 'loader.js'))) return beside;
  for (let folder = codeFolder; dirname(folder) !== folder; folder = dirname(folder)) {
    const candidate = join(folder, 'src', 'plugins', 'chat', 'widget');
    if (existsSync(candidate)) return candidate;
  }
  return beside;
}

/**
 * The frame page from its template: `{{name}}` is replaced by the value's HTML-escaped text (an
 * unknown name by nothing), and `{{config}}` (or `{{{config}}}`), meant for the inside of
 * `<script type="application/json" id="parley-config">`, by the JSON of `config` with `<`, `>`,
 * `&` and the line separators escaped, so no value can end the script element.
 */
export function renderFrame(template: string, values: Record<string, string>, config: unknown): string {
  const json = JSON.stringify(config)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return template.replace(/\{\{\{\s*config\s*\}\}\}|\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*\}\}/g, (whole, name: string | undefined) => {
    if (name === undefined || name === 'config') return json;
    const value = values[name];
    return value === undefined ? '' : escapeHtml(value);
  });
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
