/** Structured logging (pino in production). Fields first, message second, as pino does. */
export const APP_LOGGER = Symbol('APP_LOGGER');

export interface AppLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}
