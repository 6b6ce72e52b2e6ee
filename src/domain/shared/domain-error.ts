/**
 * A rule of the inbox said no. `code` is stable (clients and HTTP mapping switch on it);
 * `message` tells a person why and what to do instead.
 */
export type DomainErrorCode =
  | 'not-found' // the aggregate does not exist (or was deleted forever)
  | 'invalid-transition' // the state forbids this command (HTTP 409)
  | 'invalid-input' // a value the domain cannot accept (HTTP 400)
  | 'conflict'; // uniqueness and similar (HTTP 409)

/** The values a refusal's text names (a field, a length, the value it got), by name. */
export type ErrorParams = Record<string, string | number>;

/**
 * Which refusal this is, precisely: `reason` is a stable kebab-case id (`conversation-already-open`)
 * that the API answers as `code` and the HTTP edge translates (`apiErrors.<reason>` in the locale
 * files), filling in `params`. The domain speaks English only; the reader's language is the edge's
 * business, so the English text is written once, here, as the same template the en locale holds.
 */
export interface ErrorReason {
  reason: string;
  params: ErrorParams;
}

export class DomainError extends Error {
  /** The precise refusal, when the site names one (else only `code` is stable). */
  readonly reason?: string;
  readonly params: ErrorParams;

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    detail?: ErrorReason,
  ) {
    super(message);
    this.name = 'DomainError';
    this.reason = detail?.reason;
    this.params = detail?.params ?? {};
  }
}

/** `{{name}}` in the template replaced by params.name, as i18next fills the translated templates. */
export function fillTemplate(template: string, params: ErrorParams = {}): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/**
 * Each factory takes either a plain English message (untranslated: the API answers it in English
 * in every language) or a reason id, the English template and its params, which the API translates.
 */
type Factory = {
  (message: string): DomainError;
  (reason: string, template: string, params?: ErrorParams): DomainError;
};

const factory =
  (code: DomainErrorCode): Factory =>
  (first: string, template?: string, params: ErrorParams = {}) =>
    template === undefined ? new DomainError(code, first) : new DomainError(code, fillTemplate(template, params), { reason: first, params });

export const invalidTransition: Factory = factory('invalid-transition');
export const notFound: Factory = factory('not-found');
export const invalidInput: Factory = factory('invalid-input');
export const conflict: Factory = factory('conflict');

/** decide() returns the new events, or throws a DomainError. An empty array means "nothing to do" (idempotent repeat). */
export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
