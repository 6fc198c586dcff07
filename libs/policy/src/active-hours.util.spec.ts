// Goal: active hours follow local wall-clock time in the window's time zone, across midnight and
// across daylight-saving changes, for any instant handed in.
import { describe, expect, it } from 'vitest';

import {
  type ActiveHoursWindow,
  activeWindowIndex,
  localWeekTime,
  minutesOfClockTime,
  timeZoneProblem,
} from './active-hours.util';

const EVERY_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const WEEKDAYS_ONLY = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

function buildWindow(overrides: Partial<ActiveHoursWindow> = {}): ActiveHoursWindow {
  return { timeZone: 'UTC', days: EVERY_DAY, from: '09:00', to: '17:00', ...overrides };
}

const newYorkOffice = buildWindow({ timeZone: 'America/New_York' });
const berlinWeekdays = buildWindow({
  timeZone: 'Europe/Berlin',
  days: WEEKDAYS_ONLY,
  from: '08:00',
  to: '20:00',
});
const fridayNight = buildWindow({ days: ['fri'], from: '22:00', to: '02:00' });
const wednesdayEvening = buildWindow({ days: ['wed'], from: '20:00', to: '24:00' });
const newYorkSkippedHour = buildWindow({
  timeZone: 'America/New_York',
  days: ['sun'],
  from: '02:00',
  to: '03:00',
});
const newYorkRepeatedHour = buildWindow({
  timeZone: 'America/New_York',
  days: ['sun'],
  from: '01:00',
  to: '02:00',
});
const berlinSaturdayNight = buildWindow({
  timeZone: 'Europe/Berlin',
  days: ['sat'],
  from: '23:00',
  to: '03:00',
});

describe('activeWindowIndex', () => {
  it.each([
    {
      scenario: 'New York, day before DST: 08:59 EST is outside',
      window: newYorkOffice,
      at: '2026-03-07T13:59:00Z',
      inside: false,
    },
    {
      scenario: 'New York, day before DST: 09:00 EST is inside',
      window: newYorkOffice,
      at: '2026-03-07T14:00:00Z',
      inside: true,
    },
    {
      scenario: 'New York, DST day: 09:00 EDT is inside',
      window: newYorkOffice,
      at: '2026-03-08T13:00:00Z',
      inside: true,
    },
    {
      scenario: 'New York, DST day: 08:59 EDT is outside',
      window: newYorkOffice,
      at: '2026-03-08T12:59:00Z',
      inside: false,
    },
    {
      scenario: 'New York, DST day: 16:59 EDT is inside',
      window: newYorkOffice,
      at: '2026-03-08T20:59:00Z',
      inside: true,
    },
    {
      scenario: 'New York, DST day: 17:00 EDT is outside (end excluded)',
      window: newYorkOffice,
      at: '2026-03-08T21:00:00Z',
      inside: false,
    },
    {
      scenario: 'Berlin, Friday before DST: 08:00 CET is inside',
      window: berlinWeekdays,
      at: '2026-03-27T07:00:00Z',
      inside: true,
    },
    {
      scenario: 'Berlin, Friday before DST: 07:59 CET is outside',
      window: berlinWeekdays,
      at: '2026-03-27T06:59:00Z',
      inside: false,
    },
    {
      scenario: 'Berlin, Monday after DST: 08:00 CEST is inside',
      window: berlinWeekdays,
      at: '2026-03-30T06:00:00Z',
      inside: true,
    },
    {
      scenario: 'Berlin, Monday after DST: 07:59 CEST is outside',
      window: berlinWeekdays,
      at: '2026-03-30T05:59:00Z',
      inside: false,
    },
    {
      scenario: 'Berlin, Monday after DST: 19:59 CEST is inside',
      window: berlinWeekdays,
      at: '2026-03-30T17:59:00Z',
      inside: true,
    },
    {
      scenario: 'Berlin, Monday after DST: 20:00 CEST is outside',
      window: berlinWeekdays,
      at: '2026-03-30T18:00:00Z',
      inside: false,
    },
    {
      scenario: 'Berlin, Sunday is not a listed day',
      window: berlinWeekdays,
      at: '2026-03-29T10:00:00Z',
      inside: false,
    },
    {
      scenario: 'crossing midnight: Friday 22:00 opens',
      window: fridayNight,
      at: '2026-01-16T22:00:00Z',
      inside: true,
    },
    {
      scenario: 'crossing midnight: Friday 21:59 is before opening',
      window: fridayNight,
      at: '2026-01-16T21:59:00Z',
      inside: false,
    },
    {
      scenario: 'crossing midnight: Saturday 01:59 is still open',
      window: fridayNight,
      at: '2026-01-17T01:59:00Z',
      inside: true,
    },
    {
      scenario: 'crossing midnight: Saturday 02:00 has closed',
      window: fridayNight,
      at: '2026-01-17T02:00:00Z',
      inside: false,
    },
    {
      scenario: 'crossing midnight: Friday 01:00 belongs to Thursday, not listed',
      window: fridayNight,
      at: '2026-01-16T01:00:00Z',
      inside: false,
    },
    {
      scenario: 'crossing midnight: Saturday 23:00 is not a listed opening',
      window: fridayNight,
      at: '2026-01-17T23:00:00Z',
      inside: false,
    },
    {
      scenario: 'until 24:00: 23:59 is inside',
      window: wednesdayEvening,
      at: '2026-01-14T23:59:00Z',
      inside: true,
    },
    {
      scenario: 'until 24:00: Thursday 00:00 is outside',
      window: wednesdayEvening,
      at: '2026-01-15T00:00:00Z',
      inside: false,
    },
    {
      scenario: 'New York spring forward: 01:59 EST is before the skipped hour',
      window: newYorkSkippedHour,
      at: '2026-03-08T06:59:00Z',
      inside: false,
    },
    {
      scenario: 'New York spring forward: the next minute is 03:00 EDT',
      window: newYorkSkippedHour,
      at: '2026-03-08T07:00:00Z',
      inside: false,
    },
    {
      scenario: 'New York fall back: first 01:30 (EDT) is inside',
      window: newYorkRepeatedHour,
      at: '2026-11-01T05:30:00Z',
      inside: true,
    },
    {
      scenario: 'New York fall back: second 01:30 (EST) is inside',
      window: newYorkRepeatedHour,
      at: '2026-11-01T06:30:00Z',
      inside: true,
    },
    {
      scenario: 'New York fall back: 02:00 EST is outside',
      window: newYorkRepeatedHour,
      at: '2026-11-01T07:00:00Z',
      inside: false,
    },
    {
      scenario: 'Berlin DST night across midnight: 01:30 CET is inside',
      window: berlinSaturdayNight,
      at: '2026-03-29T00:30:00Z',
      inside: true,
    },
    {
      scenario: 'Berlin DST night across midnight: 03:00 CEST has closed',
      window: berlinSaturdayNight,
      at: '2026-03-29T01:00:00Z',
      inside: false,
    },
  ])('$scenario', ({ window, at, inside }) => {
    expect(activeWindowIndex({ windows: [window], now: new Date(at) }) >= 0).toBe(inside);
  });

  it('reports the first window that contains the instant', () => {
    const windows = [buildWindow({ days: ['mon'] }), buildWindow(), buildWindow()];
    expect(activeWindowIndex({ windows, now: new Date('2026-01-14T10:00:00Z') })).toBe(1);
  });
});

describe('localWeekTime', () => {
  it('reads midnight as minute 0, never 24:00', () => {
    expect(localWeekTime({ now: new Date('2026-01-15T00:00:00Z'), timeZone: 'UTC' })).toEqual({
      weekday: 3,
      minute: 0,
    });
  });
});

describe('clock times and time zones', () => {
  it.each([
    { value: '00:00', minutes: 0 },
    { value: '23:59', minutes: 1439 },
    { value: '24:00', minutes: 1440 },
    { value: '24:01', minutes: undefined },
    { value: '9:00', minutes: undefined },
    { value: '12:60', minutes: undefined },
  ])('minutesOfClockTime($value)', ({ value, minutes }) => {
    expect(minutesOfClockTime(value)).toBe(minutes);
  });

  it.each(['Europe/Berlin', 'America/New_York', 'UTC'])('knows %s', (timeZone) => {
    expect(timeZoneProblem(timeZone)).toBeUndefined();
  });

  it.each(['Mars/Olympus', 'Europe/Berlín', ''])('refuses %j', (timeZone) => {
    expect(timeZoneProblem(timeZone)).toBeDefined();
  });
});
