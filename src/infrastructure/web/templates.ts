import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { channelIcon, icon } from './icons';

type Template = Handlebars.TemplateDelegate;

/**
 * Server-side rendering with Handlebars. Every `{{value}}` is HTML-escaped; the only raw output
 * (`{{{…}}}`) is markup this module builds itself from escaped parts (icons, mention highlights,
 * the page body). Templates are compiled once, at start-up.
 */
export class Templates {
  private readonly hbs = Handlebars.create();
  private readonly pages = new Map<string, Template>();
  private readonly partials = new Map<string, Template>();

  constructor(private readonly assetUrl: (name: string) => string) {}

  load(root: string): this {
    this.registerHelpers();
    const dir = join(root, 'templates');
    for (const file of readdirSync(join(dir, 'partials')).filter((f) => f.endsWith('.hbs'))) {
      const name = basename(file, '.hbs');
      const source = readFileSync(join(dir, 'partials', file), 'utf8');
      this.hbs.registerPartial(name, source);
      this.partials.set(name, this.hbs.compile(source, { strict: false }));
    }
    for (const file of readdirSync(join(dir, 'pages')).filter((f) => f.endsWith('.hbs'))) {
      this.pages.set(basename(file, '.hbs'), this.hbs.compile(readFileSync(join(dir, 'pages', file), 'utf8')));
    }
    return this;
  }

  /** A whole page inside the layout. */
  page(name: string, context: Record<string, unknown>): string {
    const body = this.find(this.pages, name)(context);
    return this.find(this.partials, 'layout')({ ...context, body: new Handlebars.SafeString(body) });
  }

  /** A fragment for htmx (a partial rendered on its own). */
  fragment(name: string, context: Record<string, unknown>): string {
    return this.find(this.partials, name)(context);
  }

  private find(map: Map<string, Template>, name: string): Template {
    const template = map.get(name);
    if (!template) throw new Error(`no template named ${name}`);
    return template;
  }

  private registerHelpers(): void {
    const hbs = this.hbs;
    hbs.registerHelper('asset', (name: string) => this.assetUrl(name));
    hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    hbs.registerHelper('not', (a: unknown) => !a);
    hbs.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
    hbs.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
    hbs.registerHelper('json', (value: unknown) => JSON.stringify(value ?? null));
    hbs.registerHelper('icon', (name: string) => new Handlebars.SafeString(icon(name)));
    hbs.registerHelper('channelIcon', (channel: string) => new Handlebars.SafeString(channelIcon(channel)));
    hbs.registerHelper('shortTime', (iso: string) => shortTime(iso));
    hbs.registerHelper('longTime', (iso: string) => longTime(iso));
    hbs.registerHelper('withMentions', (text: string) => new Handlebars.SafeString(withMentions(text ?? '')));
  }
}

/** Today: 14:05; this year: 3 Mar; else 3 Mar 2024 (UTC; the browser rewrites it to local time). */
export function shortTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = date.toISOString().slice(0, 10) === now.toISOString().slice(0, 10);
  if (sameDay) return date.toISOString().slice(11, 16);
  const day = `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
  return date.getUTCFullYear() === now.getUTCFullYear() ? day : `${day} ${date.getUTCFullYear()}`;
}

export function longTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${date.toISOString().slice(11, 16)} UTC`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Escapes the text, then marks `@handle` mentions (the same pattern the application resolves). */
export function withMentions(text: string): string {
  const escaped = Handlebars.escapeExpression(text);
  return escaped.replace(/(^|[^\w@&;])@([\p{L}\p{N}][\p{L}\p{N}._-]{0,63})/gu, (_m, before: string, handle: string) => `${before}<strong class="mention">@${handle}</strong>`);
}
