import { Locale, MissingTranslationError, negotiateLanguage, resolveLocale } from '../../src/infrastructure/i18n/i18n';
import { Templates } from '../../src/infrastructure/web/templates';
import { webRoot } from '../../src/infrastructure/web/web-root';

describe('i18n', () => {
  it('negotiates Accept-Language by quality, counting regional tags as their language', () => {
    expect(negotiateLanguage('nl-NL,nl;q=0.9,en;q=0.8')).toBe('nl');
    expect(negotiateLanguage('fr-FR, nl-BE;q=0.5, en;q=0.7')).toBe('en');
    expect(negotiateLanguage('de, fr')).toBeNull();
    expect(negotiateLanguage('nl;q=0, en')).toBe('en');
    expect(negotiateLanguage(undefined)).toBeNull();
  });

  it('prefers the saved language over the browser, and falls back to English and UTC', () => {
    expect(resolveLocale({ acceptLanguage: 'nl' }).language).toBe('nl');
    expect(resolveLocale({ savedLanguage: 'en', acceptLanguage: 'nl' }).language).toBe('en');
    expect(resolveLocale({ acceptLanguage: 'de' })).toMatchObject({ language: 'en', timeZone: 'UTC', zoneSaved: false });
    expect(resolveLocale({ browserTimeZone: 'Europe/Amsterdam' }).timeZone).toBe('Europe/Amsterdam');
    expect(resolveLocale({ savedTimeZone: 'Asia/Tokyo', browserTimeZone: 'Europe/Amsterdam' })).toMatchObject({ timeZone: 'Asia/Tokyo', zoneSaved: true });
    // A zone the runtime does not know (a forged cookie) is ignored.
    expect(resolveLocale({ browserTimeZone: 'Mars/Olympus' }).timeZone).toBe('UTC');
  });

  it('translates with variables and plurals', () => {
    const nl = new Locale('nl');
    expect(nl.t('views.all-closed')).toBe('Alle gesloten');
    expect(nl.t('notices.bulkClosed', { count: 1 })).toBe('1 gesprek gesloten.');
    expect(nl.t('notices.bulkClosed', { count: 3 })).toBe('3 gesprekken gesloten.');
    expect(new Locale('en').t('notices.forwarded', { address: 'a@example.com' })).toBe('Forwarded to a@example.com.');
  });

  it('refuses a key that is in no locale file', () => {
    expect(() => new Locale('en').t('no.such.key')).toThrow(MissingTranslationError);
  });

  it('escapes variables in texts that carry markup', () => {
    expect(new Locale('en').translateHtml('thread.to', { to: '<b>x</b>' })).toBe('To &lt;b&gt;x&lt;/b&gt;');
  });

  it("renders view counts as numbers of the reader's language", () => {
    const templates = new Templates((name) => `/assets/${name}`).load(webRoot());
    const link = (language: 'en' | 'nl') =>
      templates.fragment('view-link', { locale: new Locale(language), id: 'all-open', name: 'x', count: 12345, href: '/inbox', active: false });
    expect(link('nl')).toContain('>12.345</span>');
    expect(link('en')).toContain('>12,345</span>');
  });

  it('formats dates and times in the language and the time zone', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    const at = '2026-03-10T23:30:00Z';
    // 23:30 UTC is already the next day in Amsterdam (UTC+1 in March).
    expect(new Locale('en', 'UTC').formatDate(at, 'short', now)).toBe('11:30 PM');
    expect(new Locale('nl', 'Europe/Amsterdam').formatDate(at, 'short', now)).toBe('11 mrt');
    expect(new Locale('nl', 'Europe/Amsterdam').formatDate(at, 'long', now)).toBe('11 mrt 2026, 00:30');
    expect(new Locale('en', 'America/New_York').formatDate(at, 'long', now)).toBe('Mar 10, 2026, 07:30 PM');
    expect(new Locale('nl').formatNumber(1234.5)).toBe('1.234,5');
    expect(new Locale('en').formatNumber(1234.5)).toBe('1,234.5');
  });
});
