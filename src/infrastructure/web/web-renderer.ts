import { Inject, Injectable } from '@nestjs/common';
import { APP_LOGGER, type AppLogger } from '../../application/ports/logger.port';
import { setMissingTranslationHandler, type Locale } from '../i18n/i18n';
import { Assets } from './assets';
import { Templates } from './templates';
import { webRoot } from './web-root';

/** What every template is rendered with: the reader's locale (language, time zone) at its root. */
export type RenderContext = Record<string, unknown> & { locale: Locale };

/** Templates and static files of the web UI, loaded once. */
@Injectable()
export class WebRenderer {
  readonly assets: Assets;
  private readonly templates: Templates;

  constructor(@Inject(APP_LOGGER) logger: AppLogger) {
    // Tests keep the default (a missing key throws, so it fails the test that rendered it); a
    // running server shows the key and logs it rather than failing the agent's page.
    if (process.env.NODE_ENV !== 'test') {
      setMissingTranslationHandler((error) => logger.warn({ key: error.key, language: error.language }, 'translation missing'));
    }
    const root = webRoot();
    this.assets = new Assets(root);
    this.templates = new Templates((name) => this.assets.url(name)).load(root);
  }

  page(name: string, context: RenderContext): string {
    return this.templates.page(name, context);
  }

  fragment(name: string, context: RenderContext): string {
    return this.templates.fragment(name, context);
  }

  /** A notice swapped into #flash (polite live region): kind is info or error. */
  flash(locale: Locale, kind: 'info' | 'error', message: string, options: { oob?: boolean } = {}): string {
    return this.templates.fragment('flash', { locale, kind, message, oob: options.oob ?? false });
  }

  errorPage(locale: Locale, statusCode: number, error: string, message: string): string {
    return this.templates.page('error', { locale, title: locale.t('errors.pageTitle', { status: statusCode }), statusCode, error, message, bare: true });
  }
}
