import { addDays, calendarPeriod, dayOf, isCalendarDate, lastDays, startOfDay } from '../../src/application/reports/report-calendar';

/** The Reports page's days, in the agent's own zone (docs/reports.md "The period"). */
describe('report calendar: days in a time zone', () => {
  it('a day starts at its midnight in the zone, across daylight saving changes', () => {
    expect(startOfDay('2026-11-24', 'UTC').toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect(startOfDay('2026-11-24', 'Pacific/Auckland').toISOString()).toBe('2026-11-23T11:00:00.000Z');
    // Amsterdam moves to summer time at 02:00 on 29 March 2026: that day starts in winter time, the next in summer time.
    expect(startOfDay('2026-03-29', 'Europe/Amsterdam').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfDay('2026-03-30', 'Europe/Amsterdam').toISOString()).toBe('2026-03-29T22:00:00.000Z');
    // Santiago skips from 00:00 to 01:00 on 6 September 2026: the day starts at 01:00 local time.
    expect(startOfDay('2026-09-06', 'America/Santiago').toISOString()).toBe('2026-09-06T04:00:00.000Z');
    expect(dayOf(startOfDay('2026-09-06', 'America/Santiago'), 'America/Santiago')).toBe('2026-09-06');
  });

  it('a custom period runs from the start of its first day to the start of the day after its last (a 25-hour day included)', () => {
    const { from, to } = calendarPeriod('2026-10-25', '2026-10-25', 'Europe/Amsterdam');
    expect([from.toISOString(), to.toISOString()]).toEqual(['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
    expect(to.getTime() - from.getTime()).toBe(25 * 3600_000);
  });

  it('"the last 7 days" are 7 calendar days of the zone, today included, up to now', () => {
    const now = new Date('2026-11-24T10:00:00.000Z'); // 23:00 on the 24th in Auckland, 10:00 in London
    expect(lastDays(7, now, 'Pacific/Auckland')).toEqual({
      from: new Date('2026-11-17T11:00:00.000Z'),
      to: now,
      firstDay: '2026-11-18',
      lastDay: '2026-11-24',
    });
    expect(lastDays(1, now, 'America/Los_Angeles')).toMatchObject({ firstDay: '2026-11-24', from: new Date('2026-11-24T08:00:00.000Z') });
  });

  it('knows a calendar date when it sees one', () => {
    expect(isCalendarDate('2026-02-28')).toBe(true);
    expect(isCalendarDate('2026-02-30')).toBe(false);
    expect(isCalendarDate('2026-2-3')).toBe(false);
    expect(isCalendarDate(20260203)).toBe(false);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});
