import { BadRequestException, ParseUUIDPipe } from '@nestjs/common';

/** `:id` path parameters must be UUIDs: a malformed id is a 400 naming the parameter, never a 500. */
export const uuidParam = (name: string) =>
  new ParseUUIDPipe({
    version: undefined,
    exceptionFactory: () => new BadRequestException(`${name}: must be a UUID`),
  });
