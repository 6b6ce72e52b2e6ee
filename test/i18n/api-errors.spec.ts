import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadRequestException, ConflictException, ForbiddenException, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { AccessDeniedError, NotFoundError, RateLimitedError } from '../../src/application/access/inbox-access';
import { ConcurrencyError } from '../../src/application/ports/event-store.port';
import { DomainError, fillTemplate, invalidInput } from '../../src/domain/shared/domain-error';
import { EDGE_MESSAGES, KNOWN_MESSAGES, describeError, recogniseMessage } from '../../src/infrastructure/http/describe-error';
import { WORDED_CHECKS } from '../../src/infrastructure/http/validation';
import { LANGUAGES, LOCALE_RESOURCES, Locale } from '../../src/infrastructure/i18n/i18n';

/**
 * The API's refusals in every language: each code Parley answers has its text in every locale
 * file, the English text is the very sentence the code writes, and a Dutch reader gets Dutch.
 */
const root = join(__dirname, '..', '..');
const sources = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
const domainSources = sources('src/domain').map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));
const codeSources = [...domainSources, ...sources('src/application').map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }))];

const apiErrors = (language: (typeof LANGUAGES)[number]) =>
  LOCALE_RESOURCES[language].apiErrors as Record<string, string> & { validation: Record<string, string> };
const FACTORY = /\b(?:invalidTransition|invalidInput|notFound|conflict)\(\s*'([a-z0-9-]+)',\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([A-Z_]+)\b)/g;
const CONSTANT = (text: string, name: string) => new RegExp(`const ${name} = '((?:[^'\\\\]|\\\\.)*)'`).exec(text)?.[1];

/** Every reason the domain names with its English template as written (literal or a named constant). */
function domainReasons(): Map<string, string[]> {
  const reasons = new Map<string, string[]>();
  const add = (code: string, template: string) => reasons.set(code, [...(reasons.get(code) ?? []), template]);
  for (const { text } of codeSources) {
    for (const m of text.matchAll(FACTORY)) add(m[1], (m[2] ?? m[3] ?? CONSTANT(text, m[4]) ?? `<${m[4]}>`).replace(/\\(.)/g, '$1'));
    // The rule-12 refusals share one sentence around their own reason.
    const wrapper = /invalidInput\(reason, `((?:[^`\\]|\\.)*)`/.exec(text)?.[1];
    for (const m of text.matchAll(/refuse\('([a-z0-9-]+)', (?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\)/g)) {
      if (wrapper) add(m[1], wrapper.replace('${why}', (m[2] ?? m[3]).replace(/\\(.)/g, '$1')));
    }
    for (const m of text.matchAll(/refuseInTrash\(conversation, '([^']+)'\)/g)) {
      add(`conversation-in-trash-${m[1].replace(/[^a-z]+/g, '-')}`, `conversation is in Trash; restore it first, then ${m[1]}`);
    }
  }
  return reasons;
}

describe('API error codes', () => {
  const reasons = domainReasons();

  it('finds the refusals of the domain (the scan itself works)', () => {
    expect(reasons.size).toBeGreaterThan(60);
    expect(reasons.get('conversation-already-closed')).toEqual(['conversation is already closed']);
    expect(reasons.get('conversation-in-trash-close-it')).toEqual(['conversation is in Trash; restore it first, then close it']);
  });

  it('every domain refusal names its reason, so the API can translate it', () => {
    const bare = /\b(?:invalidTransition|invalidInput|notFound|conflict)\(\s*(?:`[^`]*`|'[^']*'|"[^"]*")\s*\)/g;
    const untranslated = domainSources.flatMap(({ file, text }) => [...text.matchAll(bare)].map((m) => `${file}: ${m[0]}`));
    expect(untranslated).toEqual([]);
  });

  it.each(LANGUAGES)('every code has its text in %s', (language) => {
    const texts = apiErrors(language);
    const codes = [...reasons.keys(), ...KNOWN_MESSAGES.map((m) => m.code), ...Object.keys(EDGE_MESSAGES)];
    expect(codes.filter((code) => typeof texts[code] !== 'string')).toEqual([]);
    expect([...WORDED_CHECKS, 'other', 'line', 'nothing'].filter((check) => typeof texts.validation[check] !== 'string')).toEqual([]);
  });

  it('the English text of each code is the sentence the code writes', () => {
    const en = apiErrors('en');
    for (const [code, templates] of reasons) for (const template of templates) expect({ code, text: en[code] }).toEqual({ code, text: template });
    for (const { code, template } of KNOWN_MESSAGES) expect({ code, text: en[code] }).toEqual({ code, text: template });
    for (const [code, template] of Object.entries(EDGE_MESSAGES)) expect({ code, text: en[code] }).toEqual({ code, text: template });
  });

  it('recognises every known application message by its words, with its params', () => {
    for (const { code, template } of KNOWN_MESSAGES) {
      const params = Object.fromEntries([...template.matchAll(/\{\{(\w+)\}\}/g)].map((m, i) => [m[1], `v${i}`]));
      expect({ code, recognised: recogniseMessage(fillTemplate(template, params)) }).toEqual({ code, recognised: { code, params } });
    }
    expect(recogniseMessage('conversation 1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed not found')).toEqual({
      code: 'conversation-unknown',
      params: { conversationId: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed' },
    });
    expect(recogniseMessage('something nobody wrote')).toBeNull();
  });
});

describe('describeError', () => {
  const nl = new Locale('nl');
  const en = new Locale('en');
  it('answers a domain refusal with its code, in English as the domain wrote it and in Dutch from the locale', () => {
    const error = invalidInput('field-too-long', '{{field}} must be at most {{max}} characters (it has {{length}}); shorten it', {
      field: 'name',
      max: 200,
      length: 250,
    });
    expect(describeError(error)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'field-too-long',
      message: 'name must be at most 200 characters (it has 250); shorten it',
    });
    expect(describeError(error, en).message).toBe('name must be at most 200 characters (it has 250); shorten it');
    expect(describeError(error, nl)).toMatchObject({
      code: 'field-too-long',
      message: 'name mag hoogstens 200 tekens lang zijn (het zijn er 250); maak het korter',
    });
  });

  it('answers the application and HTTP refusals with a code and in Dutch', () => {
    expect(describeError(new NotFoundError('conversation abc not found'), nl)).toMatchObject({
      statusCode: 404,
      code: 'conversation-unknown',
      message: 'gesprek abc niet gevonden',
    });
    expect(describeError(new AccessDeniedError('only admins can manage inboxes'), nl)).toMatchObject({
      statusCode: 403,
      code: 'admin-only-inboxes',
      message: 'alleen beheerders kunnen inboxen beheren',
    });
    expect(describeError(new UnauthorizedException('the session token is invalid or expired; log in again'), nl)).toMatchObject({
      statusCode: 401,
      code: 'session-invalid',
      message: 'het sessietoken is ongeldig of verlopen; log opnieuw in',
    });
    expect(describeError(new RateLimitedError('too many wrong current passwords; try again in 30 s', 30), nl)).toMatchObject({
      statusCode: 429,
      code: 'current-password-rate-limited',
      message: 'te vaak een verkeerd huidig wachtwoord; probeer het over 30 s opnieuw',
      retryAfter: 30,
    });
    expect(describeError(new ConcurrencyError('s', 3, 4), nl)).toMatchObject({
      statusCode: 409,
      code: 'revision-conflict',
      message: 'het gesprek is intussen gewijzigd (verwachte revisie 3, nu 4); laad het opnieuw en probeer het nog eens',
    });
    expect(describeError(new Error('secret internals'), nl)).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      code: 'unexpected',
      message: 'er ging onverwacht iets mis; de fout is gelogd',
    });
  });

  it('keeps the English words and the status code of a message it does not know', () => {
    expect(describeError(new ForbiddenException('a reason no catalogue holds'), nl)).toMatchObject({
      code: 'forbidden',
      message: 'a reason no catalogue holds',
    });
    expect(describeError(new ConflictException('x'), nl)).toMatchObject({ statusCode: 409, code: 'conflict' });
    expect(describeError(new NotFoundException('x')).code).toBe('not-found');
    expect(describeError(new BadRequestException(['a: b', 'c: d'])).message).toEqual(['a: b', 'c: d']);
    expect(describeError(new DomainError('invalid-input', 'plain')).code).toBe('bad-request');
  });
});
