import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CHANNELS } from '../../domain/shared/types';
import { Locale, type TranslationVars } from '../i18n/i18n';
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
    hbs.registerHelper('channelIcon', (channel: string, options: Handlebars.HelperOptions) => {
      const locale = localeOf(options);
      return new Handlebars.SafeString(channelIcon(channel, CHANNELS_KNOWN.has(channel) ? locale.t(`channels.${channel}`) : locale.t('channels.api')));
    });
    // Every text and date follows the locale the controller put at the root of the context.
    hbs.registerHelper('t', (key: string, options: Handlebars.HelperOptions) => localeOf(options).t(key, options.hash as TranslationVars));
    hbs.registerHelper(
      'tHtml',
      (key: string, options: Handlebars.HelperOptions) => new Handlebars.SafeString(localeOf(options).translateHtml(key, options.hash as TranslationVars)),
    );
    hbs.registerHelper('tOf', (group: string, value: string, options: Handlebars.HelperOptions) => localeOf(options).t(`${group}.${value}`));
    hbs.registerHelper('number', (value: number, options: Handlebars.HelperOptions) => localeOf(options).formatNumber(Number(value)));
    hbs.registerHelper('shortTime', (iso: string, options: Handlebars.HelperOptions) => localeOf(options).formatDate(iso, 'short'));
    hbs.registerHelper('longTime', (iso: string, options: Handlebars.HelperOptions) => localeOf(options).formatDate(iso, 'long'));
    hbs.registerHelper('clientStrings', (options: Handlebars.HelperOptions) => new Handlebars.SafeString(scriptJson(clientStrings(localeOf(options)))));
    hbs.registerHelper('withMentions', (text: string) => new Handlebars.SafeString(withMentions(text ?? '')));
  }
}

const CHANNELS_KNOWN = new Set<string>(CHANNELS);

function localeOf(options: Handlebars.HelperOptions): Locale {
  const locale = (options.data?.root as { locale?: unknown } | undefined)?.locale;
  if (!(locale instanceof Locale)) throw new Error("a template was rendered without a locale: pass the request's locale in the context");
  return locale;
}

/** The texts app.js shows itself (bulk selection count, pane toggles), read from a JSON data block. */
function clientStrings(locale: Locale): Record<string, string> {
  return {
    collapseNav: locale.t('panes.collapseNav'),
    expandNav: locale.t('panes.expandNav'),
    collapseSide: locale.t('panes.collapseSide'),
    expandSide: locale.t('panes.expandSide'),
    selectNone: locale.t('list.selectNone'),
    // The count is filled in by the script: `{n}` marks where it goes.
    selected: locale.t('list.selected', { n: '{n}' }),
  };
}

/** JSON inside <script type="application/json">: `<` and friends escaped so no text can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** Escapes the text, then marks `@handle` mentions (the same pattern the application resolves). */
export function withMentions(text: string): string {
  const escaped = Handlebars.escapeExpression(text);
  return escaped.replace(
    /(^|[^\w@&;])@([\p{L}\p{N}][\p{L}\p{N}._-]{0,63})/gu,
    (_m, before: string, handle: string) => `${before}<strong class="mention">@${handle}</strong>`,
  );
}
