/**
 * Braze partitions files by the UTC hour it processed them, written `YYYY-MM-DD-HH` in `date=` segments.
 * That string sorts lexicographically in time order, which the incremental listing relies on.
 */
export type Hour = string;

const HOUR_PATTERN = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})$/;

export function isHour(value: unknown): value is Hour {
  return typeof value === 'string' && HOUR_PATTERN.test(value);
}

export function hourOf(date: Date): Hour {
  const iso = date.toISOString(); // 2024-05-01T13:04:05.000Z
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}`;
}

export function hourToDate(hour: Hour): Date {
  const m = HOUR_PATTERN.exec(hour);
  if (!m) throw new Error(`not an hour: ${hour}`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])));
}

export function addHours(hour: Hour, delta: number): Hour {
  return hourOf(new Date(hourToDate(hour).getTime() + delta * 3_600_000));
}

export function maxHour(a: Hour | undefined, b: Hour | undefined): Hour | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}
