import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Asset {
  body: Buffer;
  contentType: string;
  /** Short content hash: part of the URL (`?v=`), so the file can be cached for a year. */
  version: string;
}

/**
 * The UI's static files, read into memory at start-up: our CSS and JS (from `assets/`) and htmx,
 * served from the installed npm package (never a CDN). URLs carry a content hash, so browsers
 * may cache them for a year and still pick up a new version at once after an upgrade.
 */
export class Assets {
  private readonly files = new Map<string, Asset>();

  constructor(root: string) {
    this.add('app.css', readFileSync(join(root, 'assets', 'app.css')), 'text/css; charset=utf-8');
    this.add('app.js', readFileSync(join(root, 'assets', 'app.js')), 'text/javascript; charset=utf-8');
    const htmx = join(dirname(require.resolve('htmx.org/package.json')), 'dist', 'htmx.min.js');
    this.add('htmx.min.js', readFileSync(htmx), 'text/javascript; charset=utf-8');
  }

  get(name: string): Asset | undefined {
    return this.files.get(name);
  }

  url(name: string): string {
    const asset = this.files.get(name);
    if (!asset) throw new Error(`no asset named ${name}`);
    return `/assets/${name}?v=${asset.version}`;
  }

  private add(name: string, body: Buffer, contentType: string): void {
    this.files.set(name, { body, contentType, version: createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
}
