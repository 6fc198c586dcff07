// Active hours: wall-clock windows in an IANA time zone. A window opens on each listed day at
// `from` and closes at `to`, half-open [from, to). When `to` is not after `from` the window crosses
// midnight and closes on the next day ("fri 22:00-02:00" covers Saturday 01:30). `to` may be
// "24:00" for the end of the day. Local time comes from Intl for the given instant, so daylight
// saving is handled by the time-zone database: on a spring-forward day the skipped hour simply
// never occurs, and on a fall-back day a repeated hour is inside the window both times.

/** Days of the week as written in policies, Monday first. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export type Weekday = (typeof WEEKDAYS)[number];

const MINUTES_PER_DAY = 24 * 60;
const FORMATTERS_CACHED_MAX = 256;
const INTL_WEEKDAY_INDEX: Readonly<Record<string, number>> = {
  Mon: 0,
  Tue: 1,
  Wed: 2,
  Thu: 3,
  Fri: 4,
  Sat: 5,
  Sun: 6,
};

// Building an Intl formatter costs far more than using one; the cache is bounded and only speeds
// things up, so the functions stay pure.
const formatters = new Map<string, Intl.DateTimeFormat>();

/** A window as the engine reads it; same shape as the policy document's `activeHours` entries. */
export interface ActiveHoursWindow {
  readonly timeZone: string;
  readonly days: readonly Weekday[];
  readonly from: string;
  readonly to: string;
}

/** Why a time zone is unusable, or `undefined` when Intl knows it. */
export function timeZoneProblem(timeZone: string): string | undefined {
  try {
    formatterFor(timeZone);
    return undefined;
  } catch {
    return 'must be an IANA time zone known to this runtime, like "Europe/Berlin"';
  }
}

/** Minutes after local midnight for "HH:MM" (00:00-24:00), or `undefined` when malformed. */
export function minutesOfClockTime(clockTime: string): number | undefined {
  const match = /^([01][0-9]|2[0-4]):([0-5][0-9])$/.exec(clockTime);
  if (match === null) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes > MINUTES_PER_DAY ? undefined : minutes;
}

/** Parameters of `localWeekTime`. */
export interface LocalWeekTimeParams {
  readonly now: Date;
  readonly timeZone: string;
}

/** The local weekday (0 = Monday) and minute of the day of an instant in a time zone. */
export function localWeekTime({ now, timeZone }: LocalWeekTimeParams): { weekday: number; minute: number } {
  const parts = formatterFor(timeZone).formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((candidate) => candidate.type === type)?.value ?? '';
  const weekday = INTL_WEEKDAY_INDEX[part('weekday')];
  if (weekday === undefined) throw new RangeError(`Intl returned no weekday for ${timeZone}`);
  return { weekday, minute: Number(part('hour')) * 60 + Number(part('minute')) };
}

/** Parameters of `activeWindowIndex`. */
export interface ActiveWindowIndexParams {
  readonly windows: readonly ActiveHoursWindow[];
  readonly now: Date;
}

/** Index of the first window that contains `now`, or -1 when `now` is outside every window. */
export function activeWindowIndex({ windows, now }: ActiveWindowIndexParams): number {
  return windows.findIndex((window) => isWithinWindow({ window, now }));
}

function isWithinWindow({ window, now }: { window: ActiveHoursWindow; now: Date }): boolean {
  const from = minutesOfClockTime(window.from);
  const to = minutesOfClockTime(window.to);
  // The schema guarantees both; a malformed window can only come from skipping validation.
  if (from === undefined || to === undefined) throw new RangeError('Active hours window is malformed');
  const { weekday, minute } = localWeekTime({ now, timeZone: window.timeZone });
  const opensOn = (dayIndex: number): boolean => {
    const day = WEEKDAYS[(dayIndex + WEEKDAYS.length) % WEEKDAYS.length];
    return day !== undefined && window.days.includes(day);
  };
  if (from < to) return opensOn(weekday) && minute >= from && minute < to;
  // Crossing midnight: the evening part belongs to today's opening, the morning part to yesterday's.
  return (opensOn(weekday) && minute >= from) || (opensOn(weekday - 1) && minute < to);
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  const cached = formatters.get(timeZone);
  if (cached !== undefined) return cached;
  const formatter = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  if (formatters.size >= FORMATTERS_CACHED_MAX) formatters.clear();
  formatters.set(timeZone, formatter);
  return formatter;
}
