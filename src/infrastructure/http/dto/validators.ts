import { registerDecorator, ValidateIf, type ValidationOptions } from 'class-validator';
import { isEmailAddress } from '../../../domain/shared/address';

/** The domain's email shape (dotless domains like admin@localhost allowed), for every DTO. */
export function IsEmailAddress(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyKey) =>
    registerDecorator({
      name: 'isEmailAddress',
      target: target.constructor,
      propertyName: propertyKey as string,
      options: { message: `${String(propertyKey)} must be an email address`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && isEmailAddress(value) },
    });
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An ISO-8601 / RFC 3339 date or date-time that JavaScript's Date really parses
 * (`IsISO8601` also accepts week dates and basic formats that `new Date` turns into NaN).
 */
export function IsIsoDateTime(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyKey) =>
    registerDecorator({
      name: 'isIsoDateTime',
      target: target.constructor,
      propertyName: propertyKey as string,
      options: { message: `${String(propertyKey)} must be an ISO-8601 date-time such as 2026-11-24T10:00:00Z`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value)) },
    });
}

/** Optional, but when present it must pass the other rules: `null` is refused, not skipped. */
export const IsOptionalNotNull = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);
