import { BadRequestException } from '@nestjs/common';

/** A date, or a date-time WITH its zone: a zone-less time would mean the server's local time. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/i;

/**
 * A query parameter holding an instant (`?at=2026-11-24T10:00:00Z`; a bare date is its UTC
 * midnight). Anything else is a 400 naming the parameter.
 */
export function parseInstant(name: string, value: string): Date {
  const match = ISO_INSTANT.exec(value);
  const time = match ? Date.parse(value) : NaN;
  if (!match || Number.isNaN(time) || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw new BadRequestException(
      `${name}: must be an ISO 8601 date-time with a time zone, e.g. 2026-11-24T10:00:00Z, or a date, e.g. 2026-11-24 (got ${JSON.stringify(value)})`,
    );
  }
  return new Date(time);
}

/** Date.parse rolls 2026-02-30 over into March; a date that does not exist is refused instead. */
function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
