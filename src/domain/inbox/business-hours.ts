import { WEEKDAYS, type BusinessHours, type Weekday } from './inbox.events';

/** Whether an inbox is open at a moment, and if not, when it opens next (ISO, UTC). */
export interface BusinessHoursStatus {
  open: boolean;
  /** The next moment the inbox opens; null while open, and when it never opens. */
  nextOpenAt: string | null;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** No zone is further than 14 hours from UTC: the offsets this far either side of a local time are the ones around it. */
const WIDEST_OFFSET = 14 * 60 * MINUTE;

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/**
 * The inbox's opening state at `now`, in the wall-clock time of its zone: an interval is open from
 * its `from` up to (not including) its `to`; "24:00" closes at midnight. Disabled hours are always
 * open. A `from` the clock skips (spring forward) opens when the clock jumps past it; a `from` the
 * clock shows twice (fall back) opens the first time.
 */
export function businessHoursStatus(hours: BusinessHours, now: Date): BusinessHoursStatus {
  if (!hours.enabled) return { open: true, nextOpenAt: null };
  const zone = new Zone(hours.timeZone);
  const at = now.getTime();
  const wall = zone.wallClock(at);
  const minute = Math.floor((wall % DAY) / MINUTE);
  if ((hours.week[weekdayOf(wall)] ?? []).some((i) => minutesOf(i.from) <= minute && minute < minutesOf(i.to))) {
    return { open: true, nextOpenAt: null };
  }
  const today = wall - (wall % DAY);
  // Today and the seven days after it: a week with one open day finds it again next week.
  for (let day = 0; day <= 7; day += 1) {
    const date = today + day * DAY;
    for (const interval of hours.week[weekdayOf(date)] ?? []) {
      const opens = zone.instantOf(date + minutesOf(interval.from) * MINUTE);
      if (opens > at) return { open: false, nextOpenAt: new Date(opens).toISOString() };
    }
  }
  return { open: false, nextOpenAt: null };
}

/** Weekday of a wall-clock time given as milliseconds of a UTC-shaped calendar. */
function weekdayOf(wall: number): Weekday {
  return WEEKDAYS[(new Date(wall).getUTCDay() + 6) % 7];
}

/** Wall-clock arithmetic in one IANA zone through Intl (no offset tables of our own). */
class Zone {
  private readonly format: Intl.DateTimeFormat;

  constructor(timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The zone's wall clock at an instant, as the UTC milliseconds of the same calendar date and time. */
  wallClock(instant: number): number {
    const parts: Record<string, number> = {};
    for (const part of this.format.formatToParts(new Date(instant))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
    const wholeSeconds = instant - (((instant % 1000) + 1000) % 1000);
    const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
    return wall + (instant - wholeSeconds);
  }

  /** The first instant at which the wall clock shows `wall` or later (earliest of two in a repeated hour). */
  instantOf(wall: number): number {
    const before = wall - (this.wallClock(wall - WIDEST_OFFSET) - (wall - WIDEST_OFFSET));
    const after = wall - (this.wallClock(wall + WIDEST_OFFSET) - (wall + WIDEST_OFFSET));
    const exact = [before, after].filter((instant) => this.wallClock(instant) === wall);
    if (exact.length > 0) return Math.min(...exact);
    // In a gap (clock springs forward past `wall`): the transition, the first minute showing a later time.
    let low = Math.min(before, after);
    let high = Math.max(before, after);
    while (high - low > MINUTE) {
      const middle = low + Math.floor((high - low) / 2 / MINUTE) * MINUTE;
      if (this.wallClock(middle) >= wall) high = middle;
      else low = middle;
    }
    return high;
  }
}
