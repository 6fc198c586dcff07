// Goal: every error code maps to a sensible problem status, and codes are stable snake_case.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, isErrorCode } from './error-catalog';

describe('error catalogue', () => {
  it.each(Object.entries(ERROR_CATALOG))('%s has a 4xx/5xx status and a title', (code, entry) => {
    expect(code).toMatch(/^[a-z]+(_[a-z0-9]+)*$/);
    expect(entry.status).toBeGreaterThanOrEqual(400);
    expect(entry.status).toBeLessThan(600);
    expect(entry.title.length).toBeGreaterThan(0);
  });

  it('recognises only catalogued codes', () => {
    expect(isErrorCode('agent_not_found')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('__proto__')).toBe(false);
    expect(isErrorCode(404)).toBe(false);
  });
});

describe('README', () => {
  it('lists every error code a client can receive', () => {
    const readme = readFileSync(resolve(__dirname, '../../../../README.md'), 'utf8');
    const missing = Object.keys(ERROR_CATALOG).filter((code) => !readme.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
