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
    // An absent required field fails every check of its value (type, length…); only its absence
    // helps, in the field's own words when it has an @IsDefined message.
    if (error.value === undefined && error.constraints && !error.constraints.isDefined) {
      messages.push(`${path}: is required (got nothing)`);
      continue;
    }
    const constraints = error.value === undefined && error.constraints?.isDefined ? { isDefined: error.constraints.isDefined } : error.constraints;
    for (const message of Object.values(constraints ?? {})) {
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

/**
 * How deep a JSON body may nest. No Parley body needs more than a handful of levels; a body nested
 * thousands deep would exhaust the stack of the recursive code after the parser (class-transformer,
 * class-validator), so it is refused before it is even parsed.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * A 400 when `text` nests objects and arrays deeper than MAX_JSON_DEPTH, else null. One linear
 * pass that skips strings (brackets inside them are text); anything else malformed is left to
 * the JSON parser to word.
 */
export function jsonDepthError(text: string): BadRequestException | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i += 1;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth += 1;
      if (depth > MAX_JSON_DEPTH) {
        return new BadRequestException(`the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays; send a flatter body`);
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth -= 1;
    }
  }
  return null;
}
