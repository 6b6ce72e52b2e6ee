import { BadRequestException, type PipeTransform } from '@nestjs/common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `:id` path parameters must be UUIDs: a malformed id is a 400 naming the parameter, never a 500.
 * Ids are stored lower-case, so an upper-case spelling of an existing id finds it too.
 */
export const uuidParam = (name: string): PipeTransform<string, string> => ({
  transform(value: string): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw new BadRequestException(`${name}: must be a UUID (got ${JSON.stringify(value)})`);
    return value.toLowerCase();
  },
});
