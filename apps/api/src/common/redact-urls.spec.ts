// Goal: redactUrls keeps only scheme and host of every URL in a text, so credentials in RPC and
// database URLs never reach a log line.
import { describe, expect, it } from 'vitest';
import { redactUrls } from './redact-urls';

describe('redactUrls', () => {
  it.each([
    {
      name: 'API key in the path',
      text: 'HTTP request failed.\n\nURL: https://base-mainnet.g.alchemy.com/v2/sk-live-123\nVersion: viem',
      expected: 'HTTP request failed.\n\nURL: https://base-mainnet.g.alchemy.com\nVersion: viem',
    },
    {
      name: 'API key in the query',
      text: 'fetch https://rpc.example.com:8443/rpc?apikey=sk-live-123 failed',
      expected: 'fetch https://rpc.example.com:8443 failed',
    },
    {
      name: 'credentials in the user info',
      text: 'connect postgresql://proco:hunter2@db.internal:5432/proco refused',
      expected: 'connect postgresql://db.internal:5432 refused',
    },
    {
      name: 'several URLs, quoted in JSON',
      text: '{"url":"wss://node.example/ws/sk-live-123","backup":"http://127.0.0.1:8545/sk-live-456"}',
      expected: '{"url":"wss://node.example","backup":"http://127.0.0.1:8545"}',
    },
    {
      name: 'a URL the parser refuses',
      text: 'bad http://[sk-live-123/ url',
      expected: 'bad http://[redacted] url',
    },
    { name: 'no URL', text: 'Connection is closed.', expected: 'Connection is closed.' },
  ])('$name', ({ text, expected }) => {
    const redacted = redactUrls(text);
    expect(redacted).toBe(expected);
    expect(redacted).not.toContain('sk-live');
    expect(redacted).not.toContain('hunter2');
  });
});
