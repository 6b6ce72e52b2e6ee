import { BadRequestException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

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

export function requireField(body: FormBody | undefined, name: string, label: string, maxLength: number): string {
  const value = field(body, name);
  if (!value) throw new BadRequestException(`${label} must not be empty`);
  if (value.length > maxLength) throw new BadRequestException(`${label} must be at most ${maxLength} characters (got ${value.length})`);
  return value;
}

/** Only a local path may be a redirect target after login (no `//host`, no scheme). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/inbox';
  return next;
}
