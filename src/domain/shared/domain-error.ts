/**
 * A rule of the inbox said no. `code` is stable (clients and HTTP mapping switch on it);
 * `message` tells a person why and what to do instead.
 */
export type DomainErrorCode =
  | 'not-found' // the aggregate does not exist (or was deleted forever)
  | 'invalid-transition' // the state forbids this command (HTTP 409)
  | 'invalid-input' // a value the domain cannot accept (HTTP 400)
  | 'conflict'; // uniqueness and similar (HTTP 409)

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalidTransition = (message: string) => new DomainError('invalid-transition', message);
export const notFound = (message: string) => new DomainError('not-found', message);
export const invalidInput = (message: string) => new DomainError('invalid-input', message);
export const conflict = (message: string) => new DomainError('conflict', message);

/** decide() returns the new events, or throws a DomainError. An empty array means "nothing to do" (idempotent repeat). */
export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
