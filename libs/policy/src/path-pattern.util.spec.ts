// Goal: path globs match the documented segments, and escapes cannot slip past a pattern.
import { describe, expect, it } from 'vitest';

import { normalizePath, pathMatches, pathPatternProblem } from './path-pattern.util';

const pathOf = (url: string): string => normalizePath(new URL(url, 'https://api.example.com').pathname);

describe('pathMatches', () => {
  it.each([
    { scenario: 'literal', pattern: '/v1/search', path: '/v1/search', expected: true },
    { scenario: 'literal is case-sensitive', pattern: '/v1/search', path: '/V1/search', expected: false },
    { scenario: 'star matches one segment', pattern: '/v1/*', path: '/v1/chat', expected: true },
    {
      scenario: 'star does not cross a slash',
      pattern: '/v1/*',
      path: '/v1/chat/completions',
      expected: false,
    },
    { scenario: 'star does not match a missing segment', pattern: '/v1/*', path: '/v1', expected: false },
    { scenario: 'star matches an empty last segment', pattern: '/v1/*', path: '/v1/', expected: true },
    {
      scenario: 'star inside a segment',
      pattern: '/files/*.json',
      path: '/files/report.json',
      expected: true,
    },
    {
      scenario: 'star inside a segment, wrong suffix',
      pattern: '/files/*.json',
      path: '/files/report.csv',
      expected: false,
    },
    { scenario: 'double star matches deep paths', pattern: '/v1/**', path: '/v1/a/b/c', expected: true },
    { scenario: 'double star matches the prefix itself', pattern: '/v1/**', path: '/v1', expected: true },
    { scenario: 'double star needs the prefix', pattern: '/v1/**', path: '/v2/a', expected: false },
    { scenario: 'double star in the middle', pattern: '/a/**/z', path: '/a/b/c/z', expected: true },
    {
      scenario: 'double star in the middle, zero segments',
      pattern: '/a/**/z',
      path: '/a/z',
      expected: true,
    },
    {
      scenario: 'double star in the middle, wrong tail',
      pattern: '/a/**/z',
      path: '/a/b/y',
      expected: false,
    },
    { scenario: 'everything', pattern: '/**', path: '/', expected: true },
    {
      scenario: 'query string is ignored',
      pattern: '/v1/search',
      path: pathOf('/v1/search?q=1'),
      expected: true,
    },
    {
      scenario: 'escaped unreserved letter is decoded',
      pattern: '/admin/**',
      path: pathOf('/%61dmin/users'),
      expected: true,
    },
    {
      scenario: 'dot segments are resolved',
      pattern: '/admin/**',
      path: pathOf('/v1/../admin/x'),
      expected: true,
    },
    {
      scenario: 'escaped dot segments are resolved',
      pattern: '/admin/**',
      path: pathOf('/v1/%2e%2e/admin'),
      expected: true,
    },
    {
      scenario: 'escaped slash stays inside its segment',
      pattern: '/a/*',
      path: pathOf('/a/b%2fc'),
      expected: true,
    },
    { scenario: 'escape case is normalised', pattern: '/a%2Fb', path: pathOf('/a%2fb'), expected: true },
  ])('$scenario', ({ pattern, path, expected }) => {
    expect(pathMatches({ pattern, path })).toBe(expected);
  });

  it('stays fast on an adversarial pattern', () => {
    const pattern = `/${'*a'.repeat(60)}b`;
    const path = `/${'a'.repeat(4000)}`;
    const started = performance.now();
    expect(pathMatches({ pattern, path })).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('pathPatternProblem', () => {
  it.each(['/', '/v1/*', '/v1/**', '/files/*.json', '/a%20b'])('accepts %s', (pattern) => {
    expect(pathPatternProblem(pattern)).toBeUndefined();
  });

  it.each([
    { scenario: 'relative', pattern: 'v1/*' },
    { scenario: 'query', pattern: '/v1?x=1' },
    { scenario: 'fragment', pattern: '/v1#x' },
    { scenario: 'double star inside a segment', pattern: '/v1/a**' },
    { scenario: 'dot-dot segment', pattern: '/v1/../admin' },
    { scenario: 'broken escape', pattern: '/a%2' },
    { scenario: 'space', pattern: '/a b' },
  ])('refuses $scenario', ({ pattern }) => {
    expect(pathPatternProblem(pattern)).toBeDefined();
  });
});
