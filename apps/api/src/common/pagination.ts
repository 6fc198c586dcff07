import { z } from 'zod';
import { ValidationFailedError } from './api.errors';

/** Page size bounds for every list endpoint. */
export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 200;

export const PageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  cursor: z.string().max(200).optional(),
});

/** An opaque cursor over (createdAt, id), the stable order of list endpoints. */
export interface TimeCursor {
  readonly createdAt: Date;
  readonly id: string;
}

export function encodeTimeCursor(cursor: TimeCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`, 'utf8').toString('base64url');
}

/** Decodes a cursor; `undefined` for a malformed one, which callers reject as a 400. */
export function decodeTimeCursor(value: string): TimeCursor | undefined {
  const [time, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  if (time === undefined || id === undefined || rest.length > 0) return undefined;
  const createdAt = new Date(time);
  if (Number.isNaN(createdAt.getTime()) || !z.uuid().safeParse(id).success) return undefined;
  return { createdAt, id };
}

export interface Page<Item> {
  readonly items: readonly Item[];
  readonly nextCursor: string | null;
}

/** The position a page starts after. Errors: `validation_failed` for a malformed cursor. */
export function cursorOf(value: string | undefined): TimeCursor | undefined {
  if (value === undefined) return undefined;
  const cursor = decodeTimeCursor(value);
  if (cursor === undefined)
    throw new ValidationFailedError([{ field: 'cursor', message: 'malformed cursor' }]);
  return cursor;
}

/**
 * The rows past `cursor` in (createdAt, id) order, as a Prisma `where` fragment: after it for an
 * ascending list, before it for a descending one. Empty without a cursor.
 */
export function pastCursor(
  cursor: TimeCursor | undefined,
  order: 'asc' | 'desc',
): {
  OR?: (
    { createdAt: { gt: Date } | { lt: Date } } | { createdAt: Date; id: { gt: string } | { lt: string } }
  )[];
} {
  if (cursor === undefined) return {};
  return order === 'asc'
    ? {
        OR: [{ createdAt: { gt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { gt: cursor.id } }],
      }
    : {
        OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }],
      };
}

/**
 * A page from rows read with one extra (`take: limit + 1`): the extra row only tells that another
 * page exists, which spares a count query.
 */
export function pageOf<Row extends TimeCursor, Item>(
  rows: readonly Row[],
  limit: number,
  toItem: (row: Row) => Item,
): Page<Item> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const nextCursor =
    rows.length > limit && last !== undefined
      ? encodeTimeCursor({ createdAt: last.createdAt, id: last.id })
      : null;
  return { items: items.map(toItem), nextCursor };
}
