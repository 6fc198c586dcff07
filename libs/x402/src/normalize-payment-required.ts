// A decoded PaymentRequired object (v1 or v2) -> the normalized document.
import type { PaymentRequired } from '@x402/core/types';

import { cloneBoundedJson, isJsonObject, type JsonObject, type JsonValue } from './bounded-json';
import type {
  NormalizedPaymentRequired,
  NormalizedRequirement,
  NormalizedResource,
  PaymentRequiredV1Wire,
} from './normalized-payment-required';
import { normalizeRequirement } from './normalize-requirement';
import { PaymentRequiredV1Schema, PaymentRequiredV2Schema } from './payment-required.schema';
import { InvalidPaymentRequiredError, UnsupportedVersionError } from './x402.errors';
import { PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX } from './x402.limits';
import { toX402Issues } from './zod-issues.util';

/**
 * Normalizes a PaymentRequired that is already a JavaScript object, of either version: the v1 JSON
 * body, or a v2 document an agent decoded from the header itself. The value is first copied under
 * the hostile-input limits (depth, size, plain JSON only, no `__proto__`), so later changes to the
 * caller's object cannot alter what we echo.
 *
 * Decision on partly bad documents: anything structurally wrong (a missing field, a wrong type, a
 * bound exceeded, a bad amount) in any requirement rejects the whole document, since a seller that
 * emits broken JSON cannot be trusted on the rest. A well-formed requirement we cannot pay (other
 * scheme, non-EVM network, Permit2, non-address asset/payTo, missing EIP-712 domain) is kept with
 * `supported: false` and a reason, so the caller can explain why nothing was payable.
 *
 * Throws `invalid_json`, `invalid_payment_required`, `unsupported_version`, `invalid_amount`.
 */
export function normalizePaymentRequired(value: unknown): NormalizedPaymentRequired {
  const document = cloneBoundedJson({ value, lengthCharsMax: PAYMENT_REQUIRED_BODY_LENGTH_CHARS_MAX });
  return normalizeDocument({ document, allowedVersions: [1, 2] });
}

/** Parameters of `normalizeDocument`. */
export interface NormalizeDocumentParams {
  /** A frozen bounded-JSON value (from `parseBoundedJson` or `cloneBoundedJson`). */
  readonly document: unknown;
  /** Versions acceptable where the document was found (the header carries only v2). */
  readonly allowedVersions: ReadonlyArray<1 | 2>;
  /** Why a version outside `allowedVersions` is refused; used as the error detail. */
  readonly versionMismatchDetail?: string;
}

/**
 * Normalizes a bounded-JSON document; shared by the header, body and object paths.
 *
 * Throws `invalid_payment_required`, `unsupported_version`, `invalid_amount`.
 */
export function normalizeDocument(params: NormalizeDocumentParams): NormalizedPaymentRequired {
  const { document, allowedVersions } = params;
  if (!isJsonObject(document)) {
    throw new InvalidPaymentRequiredError({ issues: [{ path: '$', message: 'expected a JSON object' }] });
  }
  const x402Version = versionOf({ document, allowedVersions, detail: params.versionMismatchDetail });
  return x402Version === 2 ? normalizeV2(document) : normalizeV1(document);
}

function versionOf(params: {
  document: JsonObject;
  allowedVersions: ReadonlyArray<1 | 2>;
  detail: string | undefined;
}): 1 | 2 {
  const version = params.document['x402Version'];
  if (typeof version !== 'number') {
    throw new InvalidPaymentRequiredError({
      issues: [{ path: '$.x402Version', message: 'expected a number' }],
    });
  }
  if (version !== 1 && version !== 2) {
    throw new UnsupportedVersionError({ x402Version: version, detail: 'only x402 versions 1 and 2 exist' });
  }
  if (!params.allowedVersions.includes(version)) {
    throw new InvalidPaymentRequiredError({
      issues: [
        { path: '$.x402Version', message: params.detail ?? `version ${version} is not accepted here` },
      ],
    });
  }
  return version;
}

function normalizeV2(document: JsonObject): NormalizedPaymentRequired {
  const parsed = PaymentRequiredV2Schema.safeParse(document);
  if (!parsed.success) {
    throw new InvalidPaymentRequiredError({ issues: toX402Issues({ error: parsed.error, basePath: '$' }) });
  }
  const { resource: resourceFields, error } = parsed.data;
  const resource: NormalizedResource = {
    url: resourceFields.url,
    ...(typeof resourceFields.description === 'string' ? { description: resourceFields.description } : {}),
    ...(typeof resourceFields.mimeType === 'string' ? { mimeType: resourceFields.mimeType } : {}),
  };
  const declared = document['extensions'];
  return {
    x402Version: 2,
    resource,
    accepts: normalizeAccepts({ document, x402Version: 2 }),
    extensions: isJsonObject(declared) ? declared : null,
    error: typeof error === 'string' ? error : null,
    raw: document as unknown as PaymentRequired,
  };
}

function normalizeV1(document: JsonObject): NormalizedPaymentRequired {
  const parsed = PaymentRequiredV1Schema.safeParse(document);
  if (!parsed.success) {
    throw new InvalidPaymentRequiredError({ issues: toX402Issues({ error: parsed.error, basePath: '$' }) });
  }
  return {
    x402Version: 1,
    resource: null,
    accepts: normalizeAccepts({ document, x402Version: 1 }),
    extensions: null,
    error: typeof parsed.data.error === 'string' ? parsed.data.error : null,
    raw: document as unknown as PaymentRequiredV1Wire,
  };
}

function normalizeAccepts(params: {
  document: JsonObject;
  x402Version: 1 | 2;
}): readonly NormalizedRequirement[] {
  const accepts = params.document['accepts'];
  // The schema already checked this; the guard narrows the type without a cast.
  if (!Array.isArray(accepts)) {
    throw new InvalidPaymentRequiredError({ issues: [{ path: '$.accepts', message: 'expected an array' }] });
  }
  return Object.freeze(
    accepts.map((value: JsonValue, index: number) =>
      normalizeRequirement({ value, index, x402Version: params.x402Version }),
    ),
  );
}
