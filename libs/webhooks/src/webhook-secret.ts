import { randomBytes } from 'node:crypto';
import { type SecretPurpose } from '@proco/keys';

/**
 * The purpose signing secrets are sealed under with `sealSecret` (bound to the org and the endpoint
 * id): a namespace of their own, so no other sealed secret opens as one.
 */
export const WEBHOOK_SECRET_PURPOSE = 'webhook_signing_secret' satisfies SecretPurpose;

/** The visible prefix of endpoint signing secrets, so a leaked one is recognisable in a scan. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Random bytes in a signing secret. */
export const WEBHOOK_SECRET_RANDOM_BYTES = 32;
const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9_-]{43}$/;

/** A fresh signing secret: `whsec_` and 256 random bits in base64url. Shown to the operator once. */
export function mintWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(WEBHOOK_SECRET_RANDOM_BYTES).toString('base64url')}`;
}

/** True for text shaped like a secret `mintWebhookSecret` makes (e.g. one read back from storage). */
export function isWebhookSecret(value: string): boolean {
  return WEBHOOK_SECRET_PATTERN.test(value);
}
