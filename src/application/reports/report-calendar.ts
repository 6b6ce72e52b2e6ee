/**
 * Calendar days in a person's time zone, for the Reports page's period picker: "the last 7 days"
 * are 7 calendar days of the agent's own zone (today included), and a custom period runs from the
 * start of its first day to the end of its last, both in that zone. Pure; Intl knows the zones.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The offset of `timeZone` from UTC at `instant`, in ms (Amsterdam in winter: +3 600 000). */
function zoneOffsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** Whether `value` is a calendar date written YYYY-MM-DD (2026-02-30 is not). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * The instant a calendar day (YYYY-MM-DD) begins in `timeZone`: its midnight, DST-correct (the
 * offset is checked at the result), or, where a zone skips midnight (Santiago in September), the
 * first moment of the day that exists.
 */
export function startOfDay(date: string, timeZone: string): Date {
  const match = DATE.exec(date);
  if (!match) throw new Error(`not a date: ${date}`);
  const midnightUtc = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const first = midnightUtc - zoneOffsetMs(midnightUtc, timeZone);
  const second = midnightUtc - zoneOffsetMs(first, timeZone);
  const onTheDay = [first, second].filter((instant) => dayOf(new Date(instant), timeZone) === date);
  return new Date(onTheDay.length > 0 ? Math.min(...onTheDay) : first);
}

/** The calendar day (YYYY-MM-DD) `instant` falls on in `timeZone`. */
export function dayOf(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

/** The day `days` after (or before) a calendar day. */
export function addDays(date: string, days: number): string {
  const match = DATE.exec(date);
  if (!match) throw new Error(`not a date: ${date}`);
  return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days)).toISOString().slice(0, 10);
}

/** The last `days` calendar days in `timeZone`, today included: from the start of the first to now. */
export function lastDays(days: number, now: Date, timeZone: string): { from: Date; to: Date; firstDay: string; lastDay: string } {
  const lastDay = dayOf(now, timeZone);
  const firstDay = addDays(lastDay, -(days - 1));
  return { from: startOfDay(firstDay, timeZone), to: now, firstDay, lastDay };
}

/** From the start of `firstDay` to the end of `lastDay` (the start of the day after), in `timeZone`. */
export function calendarPeriod(firstDay: string, lastDay: string, timeZone: string): { from: Date; to: Date } {
  return { from: startOfDay(firstDay, timeZone), to: startOfDay(addDays(lastDay, 1), timeZone) };
}
