import { BadRequestException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Locale } from '../i18n/i18n';

/** A form body as the UI's urlencoded parser delivers it. */
export type FormBody = Record<string, string | string[] | undefined>;

/**
 * HTML with the UI's caching rule: pages and fragments hold private inbox data, so browsers must
 * not store them (a shared computer after logout, the back button).
 */
export function sendHtml(reply: FastifyReply, html: string, status = 200): void {
  void reply.status(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
}

/** 303 See Other: the answer to a form POST is fetched with GET. */
export function redirect(reply: FastifyReply, location: string): void {
  void reply.status(303).header('Location', location).header('Cache-Control', 'no-store').send();
}

/** A single form value (the last one when a name was sent twice), trimmed; '' when absent. */
export function field(body: FormBody | undefined, name: string, options: { trim?: boolean } = {}): string {
  const value = body?.[name];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  if (typeof last !== 'string') return '';
  return options.trim === false ? last : last.trim();
}

/** Every value of a repeated form field (checkboxes). */
export function fields(body: FormBody | undefined, name: string): string[] {
  const value = body?.[name];
  return (Array.isArray(value) ? value : typeof value === 'string' ? [value] : []).filter((v) => v !== '');
}

/** A form value that must be there; the refusal names the field (`labelKey`, a fields.* text) in the reader's language. */
export function requireField(body: FormBody | undefined, name: string, labelKey: string, maxLength: number, locale: Locale): string {
  const value = field(body, name);
  const label = locale.t(labelKey);
  if (!value) throw new BadRequestException(locale.t('fields.empty', { label }));
  if (value.length > maxLength)
    throw new BadRequestException(locale.t('fields.tooLong', { label, max: locale.formatNumber(maxLength), length: locale.formatNumber(value.length) }));
  return value;
}

/** Only a local path may be a redirect target after login (no `//host`, no scheme). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/inbox';
  return next;
}
