import { Injectable } from '@nestjs/common';
import { Assets } from './assets';
import { Templates } from './templates';
import { webRoot } from './web-root';

/** Templates and static files of the web UI, loaded once. */
@Injectable()
export class WebRenderer {
  readonly assets: Assets;
  private readonly templates: Templates;

  constructor() {
    const root = webRoot();
    this.assets = new Assets(root);
    this.templates = new Templates((name) => this.assets.url(name)).load(root);
  }

  page(name: string, context: Record<string, unknown>): string {
    return this.templates.page(name, context);
  }

  fragment(name: string, context: Record<string, unknown>): string {
    return this.templates.fragment(name, context);
  }

  /** A notice swapped into #flash (polite live region): kind is info or error. */
  flash(kind: 'info' | 'error', message: string, options: { oob?: boolean } = {}): string {
    return this.templates.fragment('flash', { kind, message, oob: options.oob ?? false });
  }

  errorPage(statusCode: number, error: string, message: string): string {
    return this.templates.page('error', { title: `${statusCode} ${error}`, statusCode, error, message, bare: true });
  }
}
