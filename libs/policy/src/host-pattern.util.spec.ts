// Goal: host patterns match exactly the hosts they document, and refuse forms that could never match.
import { describe, expect, it } from 'vitest';

import { hostMatches, hostPatternProblem, normalizeHost } from './host-pattern.util';

const hostOf = (url: string): string => normalizeHost(new URL(url).hostname);

describe('hostMatches', () => {
  it.each([
    { scenario: 'exact host', pattern: 'api.example.com', url: 'https://api.example.com/', expected: true },
    {
      scenario: 'exact host, other case',
      pattern: 'API.Example.com',
      url: 'https://api.EXAMPLE.com/',
      expected: true,
    },
    {
      scenario: 'exact host does not match a subdomain',
      pattern: 'example.com',
      url: 'https://a.example.com/',
      expected: false,
    },
    {
      scenario: 'wildcard matches a subdomain',
      pattern: '*.example.com',
      url: 'https://sub.example.com/',
      expected: true,
    },
    {
      scenario: 'wildcard matches deeper subdomains',
      pattern: '*.example.com',
      url: 'https://a.b.example.com/',
      expected: true,
    },
    {
      scenario: 'wildcard does not match the apex',
      pattern: '*.example.com',
      url: 'https://example.com/',
      expected: false,
    },
    {
      scenario: 'wildcard needs a label boundary',
      pattern: '*.example.com',
      url: 'https://badexample.com/',
      expected: false,
    },
    {
      scenario: 'trailing dot is the same host',
      pattern: 'example.com',
      url: 'https://example.com./',
      expected: true,
    },
    { scenario: 'port is ignored', pattern: 'example.com', url: 'https://example.com:8443/', expected: true },
    {
      scenario: 'IDNA form matches a Unicode URL',
      pattern: 'xn--bcher-kva.de',
      url: 'https://Bücher.de/',
      expected: true,
    },
    { scenario: 'IPv4 literal', pattern: '127.0.0.1', url: 'http://127.0.0.1:4021/', expected: true },
  ])('$scenario', ({ pattern, url, expected }) => {
    expect(hostMatches({ pattern, host: hostOf(url) })).toBe(expected);
  });
});

describe('hostPatternProblem', () => {
  it.each(['api.example.com', '*.example.com', 'localhost', '*.com', 'my_host.internal'])(
    'accepts %s',
    (pattern) => {
      expect(hostPatternProblem(pattern)).toBeUndefined();
    },
  );

  it.each([
    { scenario: 'wildcard in the middle', pattern: 'api.*.com' },
    { scenario: 'bare wildcard', pattern: '*' },
    { scenario: 'scheme', pattern: 'https://example.com' },
    { scenario: 'port', pattern: 'example.com:443' },
    { scenario: 'path', pattern: 'example.com/v1' },
    { scenario: 'empty label', pattern: 'example..com' },
    { scenario: 'empty', pattern: '' },
  ])('refuses $scenario', ({ pattern }) => {
    expect(hostPatternProblem(pattern)).toBeDefined();
  });

  it('refuses a Unicode pattern and names its IDNA form', () => {
    expect(hostPatternProblem('*.bücher.de')).toContain('"*.xn--bcher-kva.de"');
  });
});
