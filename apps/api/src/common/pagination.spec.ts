// Goal: list cursors round-trip exactly and malformed cursors are recognised, never trusted.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTimeCursor, encodeTimeCursor } from './pagination';

describe('time cursors', () => {
  it('round-trips any timestamp and id', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(0), max: new Date('2200-01-01'), noInvalidDate: true }),
        fc.uuid(),
        (createdAt, id) => {
          const decoded = decodeTimeCursor(encodeTimeCursor({ createdAt, id }));
          expect(decoded).toEqual({ createdAt, id });
        },
      ),
    );
  });

  it.each([
    ['garbage', '%%%'],
    ['empty', ''],
    ['not a date', Buffer.from(`yesterday|${randomUUID()}`).toString('base64url')],
    ['not a uuid', Buffer.from('2026-01-01T00:00:00.000Z|42').toString('base64url')],
    ['extra segment', Buffer.from(`2026-01-01T00:00:00.000Z|${randomUUID()}|x`).toString('base64url')],
  ])('rejects a %s cursor', (_, cursor) => {
    expect(decodeTimeCursor(cursor)).toBeUndefined();
  });
});
