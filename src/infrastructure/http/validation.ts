import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import type { Locale } from '../i18n/i18n';

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
    // The checked object travels with each failure, so a failure's check arguments can be looked up (constraintArgs).
    validationError: { target: true, value: true },
    exceptionFactory: (errors) => new ValidationFailedError(flatten(errors)),
  });
}

/** One failed check of one field: what the API answers in English, and what translating it needs. */
export interface FieldFailure {
  path: string;
  /** class-validator's name of the check (`maxLength`, `isIn`, `isEmailAddress` …), or `required`. */
  constraint: string;
  /** The check's arguments (the maximum, the allowed values …). */
  args: unknown[];
  value: unknown;
  /** `path: text (got value)` in the DTO's own English words. */
  message: string;
}

/**
 * The body or query failed its DTO's checks: a 400 listing every failure. Each keeps its check and
 * arguments, so the HTTP edge can word it in the reader's language (describeValidationFailure).
 */
export class ValidationFailedError extends BadRequestException {
  readonly messages: string[];
  constructor(readonly failures: FieldFailure[]) {
    super(failures.map((f) => f.message));
    this.messages = failures.map((f) => f.message);
  }
}

function flatten(errors: ValidationError[], prefix = ''): FieldFailure[] {
  const failures: FieldFailure[] = [];
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    // An absent required field fails every check of its value (type, length…); only its absence
    // helps, in the field's own words when it has an @IsDefined message.
    if (error.value === undefined && error.constraints && !error.constraints.isDefined) {
      failures.push({ path, constraint: 'required', args: [], value: undefined, message: `${path}: is required (got nothing)` });
      continue;
    }
    const constraints = error.value === undefined && error.constraints?.isDefined ? { isDefined: error.constraints.isDefined } : error.constraints;
    for (const [constraint, message] of Object.entries(constraints ?? {})) {
      const text = message.startsWith(error.property) ? message.slice(error.property.length).trim() : message;
      failures.push({
        path,
        constraint,
        args: constraintArgs(error, constraint),
        value: error.value,
        message: `${path}: ${text} (got ${describeValue(error.value)})`,
      });
    }
    if (error.children?.length) failures.push(...flatten(error.children, path));
  }
  return failures;
}

/** The arguments the DTO gave the check (`@MaxLength(200)` -> [200]), from class-validator's metadata. */
function constraintArgs(error: ValidationError, constraint: string): unknown[] {
  const target = error.target?.constructor;
  if (!target) return [];
  const metadata = getMetadataStorage()
    .getTargetValidationMetadatas(target, '', true, false)
    .find((m) => m.propertyName === error.property && (m.name === constraint || m.type === constraint));
  return Array.isArray(metadata?.constraints) ? metadata.constraints : [];
}

/** Validation checks with a text of their own in apiErrors.validation; others read as "is not valid". */
export const WORDED_CHECKS: ReadonlySet<string> = new Set([
  'required',
  'isDefined',
  'isString',
  'isInt',
  'isBoolean',
  'isObject',
  'isArray',
  'isUuid',
  'isIn',
  'maxLength',
  'minLength',
  'min',
  'max',
  'arrayMaxSize',
  'arrayMinSize',
  'matches',
  'isEmailAddress',
  'isIsoDateTime',
  'isNotEmpty',
  'whitelistValidation',
  'nestedValidation',
]);

/** The failures of a ValidationFailedError in the reader's language: `field: why (got value)`. */
export function describeValidationFailure(error: ValidationFailedError, locale: Locale): string[] {
  return error.failures.map(({ path, constraint, args, value }) => {
    const check = WORDED_CHECKS.has(constraint) ? constraint : 'other';
    const first = args[0];
    const why = locale.t(`apiErrors.validation.${check}`, {
      n: typeof first === 'number' ? locale.formatNumber(first) : '',
      allowed: Array.isArray(first) ? first.join(', ') : '',
    });
    return locale.t('apiErrors.validation.line', { path, why, value: value === undefined ? locale.t('apiErrors.validation.nothing') : describeValue(value) });
  });
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
