import { businessHoursStatus } from '../../src/domain/inbox/business-hours';
import { DEFAULT_BUSINESS_HOURS, type BusinessHours, type OpeningInterval, type Weekday } from '../../src/domain/inbox/inbox.events';

const hours = (timeZone: string, week: Partial<Record<Weekday, OpeningInterval[]>>, enabled = true): BusinessHours => ({
  enabled,
  timeZone,
  week: { ...DEFAULT_BUSINESS_HOURS.week, ...week },
});
const nineToFive = [{ from: '09:00', to: '17:00' }];
const officeWeek = (timeZone: string) => hours(timeZone, { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive });
const at = (iso: string) => new Date(iso);

describe('businessHoursStatus', () => {
  it('disabled hours are always open, whatever the week says', () => {
    expect(businessHoursStatus(hours('Europe/Amsterdam', {}, false), at('2026-12-06T03:00:00Z'))).toEqual({ open: true, nextOpenAt: null });
    expect(businessHoursStatus(DEFAULT_BUSINESS_HOURS, at('2026-12-06T03:00:00Z'))).toEqual({ open: true, nextOpenAt: null });
  });

  it('enabled without a single interval never opens: closed, and no next opening', () => {
    expect(businessHoursStatus(hours('Europe/Amsterdam', {}), at('2026-12-07T10:00:00Z'))).toEqual({ open: false, nextOpenAt: null });
  });

  it('open from `from` up to, not including, `to`, in the wall clock of the zone (Amsterdam in winter is UTC+1)', () => {
    const week = officeWeek('Europe/Amsterdam');
    expect(businessHoursStatus(week, at('2026-12-07T07:59:59Z'))).toEqual({ open: false, nextOpenAt: '2026-12-07T08:00:00.000Z' });
    expect(businessHoursStatus(week, at('2026-12-07T08:00:00Z'))).toEqual({ open: true, nextOpenAt: null });
    expect(businessHoursStatus(week, at('2026-12-07T15:59:59Z'))).toEqual({ open: true, nextOpenAt: null });
    expect(businessHoursStatus(week, at('2026-12-07T16:00:00Z'))).toEqual({ open: false, nextOpenAt: '2026-12-08T08:00:00.000Z' });
  });

  it('over the spring-forward weekend: closed Friday evening in CET, opens Monday 09:00 CEST (07:00 UTC)', () => {
    const week = officeWeek('Europe/Amsterdam');
    expect(businessHoursStatus(week, at('2026-03-27T08:30:00Z')).open).toBe(true); // Friday 09:30 CET
    expect(businessHoursStatus(week, at('2026-03-27T17:00:00Z'))).toEqual({ open: false, nextOpenAt: '2026-03-30T07:00:00.000Z' });
    expect(businessHoursStatus(week, at('2026-03-30T06:59:00Z')).open).toBe(false); // Monday 08:59 CEST
    expect(businessHoursStatus(week, at('2026-03-30T07:00:00Z')).open).toBe(true);
  });

  it('over the fall-back weekend: closed Friday evening in CEST, opens Monday 09:00 CET (08:00 UTC)', () => {
    const week = officeWeek('Europe/Amsterdam');
    expect(businessHoursStatus(week, at('2026-10-23T15:30:00Z'))).toEqual({ open: false, nextOpenAt: '2026-10-26T08:00:00.000Z' });
    expect(businessHoursStatus(week, at('2026-10-26T07:30:00Z')).open).toBe(false); // 08:30 CET
  });

  it('an opening time the clock skips (02:30 on the spring-forward night) opens when the clock jumps to 03:00', () => {
    const week = hours('Europe/Amsterdam', { sun: [{ from: '02:30', to: '05:00' }] });
    expect(businessHoursStatus(week, at('2026-03-28T12:00:00Z'))).toEqual({ open: false, nextOpenAt: '2026-03-29T01:00:00.000Z' });
    expect(businessHoursStatus(week, at('2026-03-29T00:59:00Z')).open).toBe(false); // 01:59 CET
    expect(businessHoursStatus(week, at('2026-03-29T01:00:00Z')).open).toBe(true); // 03:00 CEST
  });

  it('an opening time the clock shows twice (02:30 on the fall-back night) opens the first time', () => {
    const week = hours('Europe/Amsterdam', { sun: [{ from: '02:30', to: '04:00' }] });
    expect(businessHoursStatus(week, at('2026-10-24T12:00:00Z'))).toEqual({ open: false, nextOpenAt: '2026-10-25T00:30:00.000Z' });
    expect(businessHoursStatus(week, at('2026-10-25T00:30:00Z')).open).toBe(true); // 02:30 CEST
    expect(businessHoursStatus(week, at('2026-10-25T01:45:00Z')).open).toBe(true); // 02:45 CET, the second time round
  });

  it('"24:00" keeps the inbox open to midnight, and the next day may carry on from 00:00', () => {
    const week = hours('UTC', { fri: [{ from: '18:00', to: '24:00' }], sat: [{ from: '00:00', to: '02:00' }] });
    expect(businessHoursStatus(week, at('2026-12-11T23:59:59.999Z')).open).toBe(true); // Friday
    expect(businessHoursStatus(week, at('2026-12-12T00:00:00Z')).open).toBe(true); // Saturday
    expect(businessHoursStatus(week, at('2026-12-12T02:00:00Z'))).toEqual({ open: false, nextOpenAt: '2026-12-18T18:00:00.000Z' });
  });

  it('a week with one open day: the same day later on, or a week on once it has passed', () => {
    const week = hours('Europe/Amsterdam', { wed: [{ from: '10:00', to: '11:00' }] });
    expect(businessHoursStatus(week, at('2026-12-09T08:00:00Z'))).toEqual({ open: false, nextOpenAt: '2026-12-09T09:00:00.000Z' });
    expect(businessHoursStatus(week, at('2026-12-09T10:00:00Z'))).toEqual({ open: false, nextOpenAt: '2026-12-16T09:00:00.000Z' });
    expect(businessHoursStatus(week, at('2026-12-10T10:00:00Z'))).toEqual({ open: false, nextOpenAt: '2026-12-16T09:00:00.000Z' });
  });

  it("the weekday is the zone's: Monday morning in Auckland is still Sunday in UTC", () => {
    const week = hours('Pacific/Auckland', { mon: nineToFive });
    expect(businessHoursStatus(week, at('2026-12-06T20:00:00Z')).open).toBe(true); // Monday 09:00 NZDT (UTC+13)
    expect(businessHoursStatus(week, at('2026-12-06T19:59:00Z'))).toEqual({ open: false, nextOpenAt: '2026-12-06T20:00:00.000Z' });
    const newYork = hours('America/New_York', { sun: [{ from: '20:00', to: '22:00' }] });
    expect(businessHoursStatus(newYork, at('2026-12-07T01:30:00Z')).open).toBe(true); // Sunday 20:30 EST, Monday in UTC
  });

  it('several intervals a day: closed over lunch, opening again after it', () => {
    const week = hours('Europe/Amsterdam', {
      tue: [
        { from: '09:00', to: '12:00' },
        { from: '13:00', to: '17:00' },
      ],
    });
    expect(businessHoursStatus(week, at('2026-12-08T11:30:00Z'))).toEqual({ open: false, nextOpenAt: '2026-12-08T12:00:00.000Z' });
    expect(businessHoursStatus(week, at('2026-12-08T12:00:00Z')).open).toBe(true);
  });
});
