/** Time is injected so rules that reason about it (bot inactivity, trash retention) are testable. */
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
