import { randomUUID } from 'node:crypto';
import { type OperatorApiKey, type Transaction } from '@proco/persistence';
import { mintCredential } from '../auth/credential.util';

export interface InsertOperatorKeyParams {
  readonly orgId: string;
  readonly name: string;
  readonly scope: 'admin' | 'read';
}

/** The stored key and its secret, which exists only in this result (it is never stored). */
export interface InsertOperatorKeyResult {
  readonly key: OperatorApiKey;
  readonly secret: string;
}

/**
 * Mints an operator credential and stores its digest, inside the caller's transaction so the
 * caller can audit the creation in the same commit.
 */
export async function insertOperatorKey(
  tx: Transaction,
  params: InsertOperatorKeyParams,
): Promise<InsertOperatorKeyResult> {
  const credential = mintCredential('operator');
  const key = await tx.operatorApiKey.create({
    data: {
      id: randomUUID(),
      orgId: params.orgId,
      name: params.name,
      scope: params.scope,
      prefix: credential.prefix,
      secretDigest: credential.digest,
    },
  });
  return { key, secret: credential.secret };
}
