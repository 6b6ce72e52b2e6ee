import { BadRequestException } from '@nestjs/common';

/** `If-Match: "12"` (or W/"12", or 12) -> 12; absent or `*` (any revision) -> undefined; anything else -> 400. */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header[0] : header).trim();
  if (value === '*') return undefined;
  const match = value.match(/^(?:W\/)?"?(-?\d+)"?$/);
  if (!match) throw new BadRequestException(`If-Match: expected a revision like "3" as sent in ETag (got ${JSON.stringify(value)})`);
  return Number(match[1]);
}

export const etagOf = (revision: number) => `"${revision}"`;
