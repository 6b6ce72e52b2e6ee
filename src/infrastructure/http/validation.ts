import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

/**
 * class-validator on every body and query DTO: unknown fields are refused, and each message names
 * the field and the value it got, e.g. `status: must be one of open, closed (got "opne")`.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => new BadRequestException(flatten(errors)),
  });
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  const messages: string[] = [];
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      const text = message.startsWith(error.property) ? message.slice(error.property.length).trim() : message;
      messages.push(`${path}: ${text} (got ${describeValue(error.value)})`);
    }
    if (error.children?.length) messages.push(...flatten(error.children, path));
  }
  return messages;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
