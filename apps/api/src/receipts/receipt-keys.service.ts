import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import { type Keyring, openSecret, rewrapSecret, sealSecret, type SecretScope } from '@proco/keys';
import {
  type AuditActor,
  AuditLogRepository,
  Prisma,
  PrismaService,
  type ReceiptSigningKey as ReceiptSigningKeyRow,
  type Transaction,
} from '@proco/persistence';
import {
  createReceiptSigner,
  generateReceiptSigningKey,
  isReceiptAlgorithm,
  RECEIPT_CLOCK_TOLERANCE_MAX_SECONDS,
  RECEIPT_LIFETIME_MAX_SECONDS,
  type ReceiptAlgorithm,
  type ReceiptPublicJwk,
  type ReceiptSigner,
  type ReceiptSigningKey,
  toPublishedJwk,
  type UnsignedReceiptClaims,
} from '@proco/receipts';
import { KEYRING } from '@proco/config';
import { ReceiptSigningUnavailableError } from './receipts.errors';

/** The algorithm of keys created at boot and by rotation unless told otherwise. */
export const RECEIPT_SIGNING_ALGORITHM_DEFAULT: ReceiptAlgorithm = 'ES256';
/** How long the JWKS may be cached (`Cache-Control: max-age`). */
export const JWKS_MAX_AGE_SECONDS = 300;
/**
 * Extra publication time of a retired key beyond the longest receipt lifetime: covers verifiers'
 * clock tolerance and a JWKS cached just before the key was withdrawn.
 */
export const RECEIPT_KEY_PUBLISH_MARGIN_SECONDS = RECEIPT_CLOCK_TOLERANCE_MAX_SECONDS + JWKS_MAX_AGE_SECONDS;
/** How long a retired key stays in the JWKS after rotation. */
export const RECEIPT_KEY_PUBLISH_AFTER_RETIREMENT_SECONDS =
  RECEIPT_LIFETIME_MAX_SECONDS + RECEIPT_KEY_PUBLISH_MARGIN_SECONDS;
/**
 * How often a replica checks that its cached signer is still the active key. Another replica may
 * rotate; this replica then keeps signing with the retired key for at most this long, far inside
 * the retired key's publication window, so its receipts still verify.
 */
export const ACTIVE_KEY_RECHECK_MS = 30_000;
/** Keys listed in the JWKS at most; a longer list means rotation runs far too often. */
export const JWKS_KEYS_MAX = 32;
/** Keys re-wrapped per master-key rotation run; the table holds a handful of rows. */
export const RECEIPT_KEYS_REWRAP_MAX = 1_000;
/** Attempts to create the first active key when a concurrent writer slipped past the lock. */
export const ENSURE_ACTIVE_KEY_ATTEMPTS_MAX = 3;
/**
 * First key of the advisory lock that serialises every change of the active key (boot creation
 * and rotation) across replicas; the second key is 0.
 */
export const RECEIPT_KEYS_LOCK_CLASS = 0x72637074; // "rcpt"

/** Receipt keys belong to no org; their sealed secrets are bound to this org id. */
const RECEIPT_KEY_ORG_ID = 'system';
const RECEIPT_KEY_PURPOSE = 'receipt_signing_key';
const AUDIT_SUBJECT_TYPE = 'receipt_signing_key';

export interface RotateReceiptKeyResult {
  readonly kid: string;
  readonly algorithm: ReceiptAlgorithm;
  /** The key that was active before, now retired and published until `publishUntil`. */
  readonly retired: { readonly kid: string; readonly publishUntil: string } | null;
}

export interface RewrapReceiptKeysResult {
  readonly rewrapped: number;
  /** Keys under a master key this keyring does not hold (left as they are). */
  readonly skipped: readonly { readonly kid: string; readonly kekId: string }[];
  readonly activeKekId: string;
}

export interface Jwks {
  readonly keys: readonly ReceiptPublicJwk[];
}

interface CachedSigner {
  readonly kid: string;
  readonly signer: Promise<ReceiptSigner>;
  checkedAtMs: number;
}

/**
 * Custody of receipt signing keys: exactly one active key (created at boot when there is none),
 * rotation, the public JWKS and signing. Private keys are sealed with `@proco/keys` before they
 * are stored and opened only into a non-extractable signer.
 */
@Injectable()
export class ReceiptKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReceiptKeysService.name);
  private cached: CachedSigner | null = null;

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    @Inject(KEYRING) private readonly keyring: Keyring,
    @InjectConfig() private readonly config: ProcoConfig,
  ) {}

  /**
   * Ensures an active key exists and loads it. A key this replica cannot open is logged, not
   * fatal: the JWKS still serves, wallets still work, and `sign` reports
   * `receipt_signing_unavailable` until the right master key is configured or `rotate` runs.
   */
  async onApplicationBootstrap(): Promise<void> {
    const active = await this.ensureActiveKey();
    try {
      await this.signerFor(active).signer;
    } catch (error: unknown) {
      this.cached = null;
      this.logger.error(
        { kid: active.kid, kekId: active.kekId, code: codeOf(error) },
        'the active receipt signing key cannot be opened with the configured master keys; receipts cannot be signed',
      );
    }
  }

  /**
   * Returns the active key, creating one when there is none. Race-safe across replicas: creation
   * re-checks under an advisory lock, and the unique `active_slot` index refuses a second active
   * key from any writer that skipped the lock (then the winner is read back).
   */
  async ensureActiveKey(): Promise<ReceiptSigningKeyRow> {
    for (let attempt = 1; attempt <= ENSURE_ACTIVE_KEY_ATTEMPTS_MAX; attempt += 1) {
      const existing = await this.findActive(this.prisma);
      if (existing !== null) return existing;
      // WebCrypto key generation is asynchronous, so it happens before the transaction opens; a
      // replica that loses the race discards its unused key.
      const generated = await generateReceiptSigningKey({ algorithm: RECEIPT_SIGNING_ALGORITHM_DEFAULT });
      try {
        return await this.prisma.$transaction(async (tx) => {
          await lockReceiptKeys(tx);
          const raced = await this.findActive(tx);
          if (raced !== null) return raced;
          const created = await this.insertActive(tx, generated);
          await this.audit.append(tx, {
            orgId: null,
            actor: { type: 'system' },
            action: 'receipt_signing_key.created',
            subject: { type: AUDIT_SUBJECT_TYPE, id: created.kid },
            data: { kid: created.kid, algorithm: created.algorithm, kekId: created.kekId },
          });
          return created;
        });
      } catch (error: unknown) {
        if (!isUniqueViolation(error) || attempt === ENSURE_ACTIVE_KEY_ATTEMPTS_MAX) throw error;
      }
    }
    // The loop returns or throws on its last attempt; this satisfies the compiler.
    throw new ReceiptSigningUnavailableError(null);
  }

  /**
   * Makes a fresh key active and retires the previous one, which stays in the JWKS for the longest
   * receipt lifetime plus a margin, so no unexpired receipt stops verifying. Audited.
   */
  async rotate(
    params: { algorithm?: ReceiptAlgorithm; actor?: AuditActor } = {},
  ): Promise<RotateReceiptKeyResult> {
    const algorithm = params.algorithm ?? RECEIPT_SIGNING_ALGORITHM_DEFAULT;
    const generated = await generateReceiptSigningKey({ algorithm });
    const result = await this.prisma.$transaction(async (tx) => {
      await lockReceiptKeys(tx);
      const retiredAt = new Date();
      const publishUntil = new Date(
        retiredAt.getTime() + RECEIPT_KEY_PUBLISH_AFTER_RETIREMENT_SECONDS * 1_000,
      );
      const previous = await this.findActive(tx);
      if (previous !== null) {
        await tx.receiptSigningKey.update({
          where: { kid: previous.kid },
          data: { status: 'retired', activeSlot: null, retiredAt, publishUntil },
        });
      }
      const created = await this.insertActive(tx, generated);
      await this.audit.append(tx, {
        orgId: null,
        actor: params.actor ?? { type: 'cli' },
        action: 'receipt_signing_key.rotated',
        subject: { type: AUDIT_SUBJECT_TYPE, id: created.kid },
        data: {
          kid: created.kid,
          algorithm: created.algorithm,
          kekId: created.kekId,
          retiredKid: previous?.kid ?? null,
          retiredPublishUntil: previous === null ? null : publishUntil.toISOString(),
        },
      });
      return {
        created,
        retired: previous === null ? null : { kid: previous.kid, publishUntil: publishUntil.toISOString() },
      };
    });
    // This replica switches at once; others notice within ACTIVE_KEY_RECHECK_MS.
    this.cached = null;
    return { kid: result.created.kid, algorithm, retired: result.retired };
  }

  /**
   * The public keys verifiers need: the active key and every retired key still inside its
   * publication window, active first. Only public members are copied (an allow-list), so `d`
   * can never appear here whatever the row holds.
   */
  async jwks(): Promise<Jwks> {
    const rows = await this.prisma.receiptSigningKey.findMany({
      where: { OR: [{ status: 'active' }, { publishUntil: { gt: new Date() } }] },
      orderBy: [{ activeSlot: { sort: 'asc', nulls: 'last' } }, { createdAt: 'desc' }],
      take: JWKS_KEYS_MAX + 1,
      select: { kid: true, algorithm: true, publicJwk: true },
    });
    if (rows.length > JWKS_KEYS_MAX) {
      this.logger.warn({ listed: JWKS_KEYS_MAX }, 'more receipt keys are published than the JWKS lists');
    }
    return {
      keys: rows.slice(0, JWKS_KEYS_MAX).flatMap((row) => {
        if (!isReceiptAlgorithm(row.algorithm) || !isJsonObject(row.publicJwk)) return [];
        return [toPublishedJwk({ jwk: row.publicJwk, kid: row.kid, algorithm: row.algorithm })];
      }),
    };
  }

  /**
   * Signs a receipt with the active key; `iss` is this deployment's public URL.
   * Errors: `receipt_signing_unavailable`; `ReceiptError` `receipt_claims_invalid` for claims the
   * schema refuses (a caller bug).
   */
  async sign(params: {
    claims: Omit<UnsignedReceiptClaims, 'iss'>;
    /** 1 to `RECEIPT_LIFETIME_MAX_SECONDS`; the library default (10 minutes) when absent. */
    lifetimeSeconds?: number;
    /** The issue time (`iat`; `exp` counts from it); the current time when absent. */
    now?: Date;
  }): Promise<string> {
    const signer = await this.activeSigner();
    return signer.sign({
      claims: { ...params.claims, iss: this.config.api.publicUrl },
      now: params.now ?? new Date(),
      ...(params.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: params.lifetimeSeconds }),
    });
  }

  /**
   * Re-wraps every receipt key's data key under the active master key, the receipt half of
   * `rotate-master-key`. Keys under a master key this keyring lacks are skipped and reported.
   */
  async rotateMasterKey(): Promise<RewrapReceiptKeysResult> {
    const activeKekId = this.keyring.activeKekId;
    const known = new Set(this.keyring.kekIds);
    const rows = await this.prisma.receiptSigningKey.findMany({
      where: { kekId: { not: activeKekId } },
      orderBy: { kid: 'asc' },
      take: RECEIPT_KEYS_REWRAP_MAX,
    });
    const skipped: { kid: string; kekId: string }[] = [];
    let rewrapped = 0;
    for (const row of rows) {
      if (!known.has(row.kekId)) {
        skipped.push({ kid: row.kid, kekId: row.kekId });
        continue;
      }
      rewrapped += await this.rewrapRow(row);
    }
    return { rewrapped, skipped, activeKekId };
  }

  private async rewrapRow(row: ReceiptSigningKeyRow): Promise<number> {
    const next = rewrapSecret({
      keyring: this.keyring,
      purpose: RECEIPT_KEY_PURPOSE,
      scope: scopeOf(row.kid),
      sealed: { dataKeyCiphertext: Uint8Array.from(row.dataKeyCiphertext), kekId: row.kekId },
    });
    return this.prisma.$transaction(async (tx) => {
      const result = await tx.receiptSigningKey.updateMany({
        where: { kid: row.kid, kekId: row.kekId },
        data: {
          dataKeyCiphertext: new Uint8Array(next.dataKeyCiphertext),
          kekId: next.kekId,
          rewrappedAt: new Date(),
        },
      });
      if (result.count === 1) {
        await this.audit.append(tx, {
          orgId: null,
          actor: { type: 'cli' },
          action: 'receipt_signing_key.rewrapped',
          subject: { type: AUDIT_SUBJECT_TYPE, id: row.kid },
          data: { fromKekId: row.kekId, toKekId: next.kekId },
        });
      }
      return result.count;
    });
  }

  /** The cached signer, re-checked against the database every ACTIVE_KEY_RECHECK_MS. */
  private async activeSigner(): Promise<ReceiptSigner> {
    const cached = this.cached;
    if (cached !== null && Date.now() - cached.checkedAtMs < ACTIVE_KEY_RECHECK_MS) {
      return this.awaitSigner(cached);
    }
    const active = await this.findActive(this.prisma);
    if (active === null) throw new ReceiptSigningUnavailableError(null);
    return this.awaitSigner(this.signerFor(active));
  }

  private async awaitSigner(cached: CachedSigner): Promise<ReceiptSigner> {
    try {
      return await cached.signer;
    } catch (error: unknown) {
      // A failed open is not cached: the next call retries (e.g. after a redeploy with the key).
      if (this.cached === cached) this.cached = null;
      throw new ReceiptSigningUnavailableError(cached.kid, { cause: error });
    }
  }

  /** Reuses the cached signer when `row` is still the active key; opens it otherwise. */
  private signerFor(row: ReceiptSigningKeyRow): CachedSigner {
    if (this.cached !== null && this.cached.kid === row.kid) {
      this.cached.checkedAtMs = Date.now();
      return this.cached;
    }
    const cached: CachedSigner = { kid: row.kid, signer: this.openSigner(row), checkedAtMs: Date.now() };
    this.cached = cached;
    return cached;
  }

  private async openSigner(row: ReceiptSigningKeyRow): Promise<ReceiptSigner> {
    if (!isReceiptAlgorithm(row.algorithm)) throw new ReceiptSigningUnavailableError(row.kid);
    const plaintext = openSecret({
      keyring: this.keyring,
      purpose: RECEIPT_KEY_PURPOSE,
      scope: scopeOf(row.kid),
      sealed: {
        ciphertext: Uint8Array.from(row.privateKeyCiphertext),
        dataKeyCiphertext: Uint8Array.from(row.dataKeyCiphertext),
        kekId: row.kekId,
      },
    });
    try {
      // The parsed JWK is a JavaScript object whose strings cannot be zeroed; it lives only until
      // the signer has imported it as a non-extractable key.
      const privateJwk = JSON.parse(plaintext.toString('utf8')) as ReceiptSigningKey['privateJwk'];
      return await createReceiptSigner({ kid: row.kid, algorithm: row.algorithm, privateJwk });
    } finally {
      plaintext.fill(0);
    }
  }

  private async insertActive(tx: Transaction, key: ReceiptSigningKey): Promise<ReceiptSigningKeyRow> {
    const plaintext = Buffer.from(JSON.stringify(key.privateJwk), 'utf8');
    try {
      const sealed = sealSecret({
        keyring: this.keyring,
        purpose: RECEIPT_KEY_PURPOSE,
        scope: scopeOf(key.kid),
        plaintext,
      });
      return await tx.receiptSigningKey.create({
        data: {
          kid: key.kid,
          algorithm: key.algorithm,
          publicJwk: key.publicJwk,
          privateKeyCiphertext: new Uint8Array(sealed.ciphertext),
          dataKeyCiphertext: new Uint8Array(sealed.dataKeyCiphertext),
          kekId: sealed.kekId,
          status: 'active',
          activeSlot: true,
        },
      });
    } finally {
      plaintext.fill(0);
    }
  }

  private findActive(client: Transaction | PrismaService): Promise<ReceiptSigningKeyRow | null> {
    return client.receiptSigningKey.findFirst({ where: { status: 'active' } });
  }
}

/** Holds the receipt-keys lock until the transaction ends (READ COMMITTED re-reads see the winner). */
async function lockReceiptKeys(tx: Transaction): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${RECEIPT_KEYS_LOCK_CLASS}::int, 0)`;
}

function scopeOf(kid: string): SecretScope {
  return { orgId: RECEIPT_KEY_ORG_ID, id: kid };
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

function isJsonObject(value: Prisma.JsonValue): value is Prisma.JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown';
}
