// Test data builders for the @proco/receipts specs: claims with overrides, cached signing keys
// and raw token surgery. Not exported from the package entry point.
import { randomBytes, randomUUID } from 'node:crypto';

import { type JSONWebKeySet } from 'jose';
import { expect } from 'vitest';

import type { ReceiptPayment, UnsignedReceiptClaims } from './receipt-claims';
import { type ReceiptErrorCode, ReceiptError } from './receipt.errors';
import {
  generateReceiptSigningKey,
  type ReceiptAlgorithm,
  type ReceiptSigningKey,
} from './receipt-signing-key';

export const ISSUER = 'https://proco.example';
/** A fixed signing time: 2026-01-01T00:00:00Z. */
export const SIGNED_AT = new Date('2026-01-01T00:00:00.000Z');

export function buildPayment(overrides: Partial<ReceiptPayment> = {}): ReceiptPayment {
  return {
    orgId: randomUUID(),
    agentId: randomUUID(),
    payer: '0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf',
    payTo: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C',
    amount: '10000',
    asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
    network: 'eip155:84532',
    resourceUrl: 'https://api.seller.example/v1/weather?city=Lisbon',
    method: 'GET',
    nonce: `0x${randomBytes(32).toString('hex')}`,
    decision: 'allow',
    ...overrides,
  };
}

export function buildClaims(
  overrides: Partial<Omit<UnsignedReceiptClaims, 'payment'>> & { payment?: Partial<ReceiptPayment> } = {},
): UnsignedReceiptClaims {
  const paymentId = randomUUID();
  const { payment, ...rest } = overrides;
  return { iss: ISSUER, sub: paymentId, jti: paymentId, payment: buildPayment(payment), ...rest };
}

const keysByAlgorithm = new Map<ReceiptAlgorithm, Promise<ReceiptSigningKey>>();

/** One key per algorithm per test file: generation is cheap, but the specs need not repeat it. */
export function cachedKey(algorithm: ReceiptAlgorithm): Promise<ReceiptSigningKey> {
  let key = keysByAlgorithm.get(algorithm);
  if (key === undefined) {
    key = generateReceiptSigningKey({ algorithm });
    keysByAlgorithm.set(algorithm, key);
  }
  return key;
}

export function jwksOf(...keys: ReceiptSigningKey[]): JSONWebKeySet {
  return { keys: keys.map((key) => key.publicJwk) };
}

/** Splits a compact JWS into decoded header and payload plus the raw signature segment. */
export function splitToken(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: string;
} {
  const [header, payload, signature] = token.split('.');
  const decode = (segment: string | undefined): Record<string, unknown> =>
    JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: decode(header), payload: decode(payload), signature: signature ?? '' };
}

/** Reassembles a compact JWS from (possibly altered) parts, keeping the given signature. */
export function joinToken(parts: { header: object; payload: object; signature: string }): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return `${encode(parts.header)}.${encode(parts.payload)}.${parts.signature}`;
}

/** Awaits `run` and asserts it rejects with a `ReceiptError` of `code`; returns the error. */
export async function expectReceiptError(
  run: () => Promise<unknown>,
  code: ReceiptErrorCode,
): Promise<ReceiptError> {
  let thrown: unknown;
  try {
    await run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ReceiptError);
  const error = thrown as ReceiptError;
  expect({ code: error.code, message: error.message }).toMatchObject({ code });
  return error;
}
