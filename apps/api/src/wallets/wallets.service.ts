import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  generateWalletKey,
  type Keyring,
  openWalletSigner,
  rewrapDataKey,
  type WalletSigner,
} from '@proco/keys';
import { AuditLogRepository, PrismaService, type Transaction, type Wallet } from '@proco/persistence';
import { AgentFrozenError, AgentNotFoundError } from '../agents/agents.errors';
import { KEYRING } from '@proco/config';
import { KeyringMismatchError, WalletNotFoundError, WalletUnavailableError } from './wallets.errors';

/** Wallets re-wrapped per batch during master-key rotation. */
export const REWRAP_BATCH_SIZE = 100;
/** Upper bound on rotation batches, so a run always ends (10 million wallets). */
export const REWRAP_BATCHES_MAX = 100_000;

/** Skipped wallets listed in one rotation report; `skippedCount` still counts every one. */
export const ROTATION_SKIPPED_REPORTED_MAX = 1_000;

/**
 * Agents whose wallet is kept in memory for the purchase path: the sealed row and, once used, its
 * opened signer. An entry is only used for the address the database confirmed in the same
 * purchase (`proco_begin_payment` compares it), so a replaced wallet is never signed for.
 */
export const WALLET_CACHE_MAX = 10_000;

/**
 * How long an opened signer is reused. Opening one decrypts the key and derives its address (an
 * elliptic-curve multiplication, the largest single cost of a purchase after the signature
 * itself). Keeping it open adds no exposure that matters: this process already holds the master
 * keys that open every wallet; the bound only limits how long a key outlives its last use.
 */
export const OPEN_SIGNER_TTL_MS = 5 * 60 * 1_000;

/** A remembered wallet: its row, and its signer while that is fresh. */
interface CachedWallet {
  readonly wallet: Wallet;
  signer: { readonly value: WalletSigner; readonly openedAtMs: number } | null;
}

/** A wallet whose data key is wrapped under a master key this keyring does not hold. */
export interface SkippedWallet {
  readonly walletId: string;
  readonly kekId: string;
}

export interface RotateMasterKeyResult {
  readonly rewrapped: number;
  /** The first `ROTATION_SKIPPED_REPORTED_MAX` skipped wallets, in id order. */
  readonly skipped: readonly SkippedWallet[];
  readonly skippedCount: number;
  readonly activeKekId: string;
}

/**
 * Agent wallets: issuance, opening a signer, and master-key rotation. Plaintext keys exist only
 * inside @proco/keys; this service handles ciphertext and addresses.
 */
@Injectable()
export class WalletsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(WalletsService.name);
  /** Keyed by agent id; Map order is insertion order, so the first key is the oldest entry. */
  private readonly walletCache = new Map<string, CachedWallet>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditLogRepository,
    @Inject(KEYRING) private readonly keyring: Keyring,
  ) {}

  /**
   * Refuses to start when wallets exist and none of their master keys is configured (the wrong
   * key, or a development key generated in another directory); warns when only some are missing,
   * as during an unfinished rotation.
   */
  async onApplicationBootstrap(): Promise<void> {
    const rows = await this.prisma.wallet.groupBy({ by: ['kekId'], _count: { _all: true } });
    const known = new Set(this.keyring.kekIds);
    const unknown = rows.filter((row) => !known.has(row.kekId));
    if (rows.length > 0 && unknown.length === rows.length) {
      throw new KeyringMismatchError(
        rows.map((row) => row.kekId),
        this.keyring.kekIds,
      );
    }
    if (unknown.length > 0) {
      this.logger.error(
        { unknownKekIds: unknown.map((row) => ({ kekId: row.kekId, wallets: row._count._all })) },
        'some wallets are under a master key that is not configured; they cannot sign',
      );
    }
  }

  /** Issues a fresh wallet for an agent, inside the caller's transaction. */
  async issue(tx: Transaction, params: { orgId: string; agentId: string }): Promise<Wallet> {
    const walletId = randomUUID();
    const sealed = generateWalletKey({ keyring: this.keyring, orgId: params.orgId, walletId });
    return tx.wallet.create({
      data: {
        id: walletId,
        orgId: params.orgId,
        agentId: params.agentId,
        address: sealed.address,
        keyCiphertext: new Uint8Array(sealed.keyCiphertext),
        dataKeyCiphertext: new Uint8Array(sealed.dataKeyCiphertext),
        kekId: sealed.kekId,
      },
    });
  }

  /**
   * Opens the signer of an agent's wallet. A frozen agent cannot sign. With `address`, a wallet
   * remembered by `payerAddressOf` under that same address opens without a read, and its signer
   * is reused for `OPEN_SIGNER_TTL_MS`: the purchase path passes the address its own database
   * statement has just confirmed for an active agent.
   * Errors: `agent_not_found`, `agent_frozen`, `wallet_not_found`, `wallet_unavailable`.
   */
  async openSigner(params: { orgId: string; agentId: string; address?: string }): Promise<WalletSigner> {
    const cached = params.address === undefined ? undefined : this.walletCache.get(params.agentId);
    if (
      cached !== undefined &&
      cached.wallet.orgId === params.orgId &&
      cached.wallet.address.toLowerCase() === params.address?.toLowerCase()
    ) {
      const nowMs = Date.now();
      if (cached.signer === null || nowMs - cached.signer.openedAtMs >= OPEN_SIGNER_TTL_MS) {
        cached.signer = { value: this.signerOf(cached.wallet), openedAtMs: nowMs };
      }
      return cached.signer.value;
    }
    const agent = await this.prisma.agent.findFirst({
      where: { id: params.agentId, orgId: params.orgId },
      include: { wallet: true },
    });
    if (agent === null) throw new AgentNotFoundError(params.agentId);
    if (agent.status !== 'active') throw new AgentFrozenError(params.agentId);
    const wallet = agent.wallet;
    if (wallet === null) throw new WalletNotFoundError(params.agentId);
    return this.signerOf(wallet);
  }

  /**
   * The address an agent pays from, from memory when known. Used to build an authorization before
   * the database has confirmed the agent (the confirmation compares this address); the agent's
   * status is not checked here. Errors: `agent_not_found`, `wallet_not_found`.
   */
  async payerAddressOf(params: { orgId: string; agentId: string }): Promise<`0x${string}`> {
    const cached = this.walletCache.get(params.agentId);
    if (cached !== undefined && cached.wallet.orgId === params.orgId) {
      return cached.wallet.address as `0x${string}`;
    }
    const wallet = await this.prisma.wallet.findFirst({
      where: { agentId: params.agentId, orgId: params.orgId },
    });
    if (wallet === null) {
      const agent = await this.prisma.agent.findFirst({
        where: { id: params.agentId, orgId: params.orgId },
        select: { id: true },
      });
      throw agent === null ? new AgentNotFoundError(params.agentId) : new WalletNotFoundError(params.agentId);
    }
    if (this.walletCache.size >= WALLET_CACHE_MAX) {
      const oldest = this.walletCache.keys().next();
      if (oldest.done !== true) this.walletCache.delete(oldest.value);
    }
    this.walletCache.set(params.agentId, { wallet, signer: null });
    return wallet.address as `0x${string}`;
  }

  /** Drops an agent's remembered wallet, after the database named another address. */
  forgetWallet(agentId: string): void {
    this.walletCache.delete(agentId);
  }

  private signerOf(wallet: Wallet): WalletSigner {
    try {
      return openWalletSigner({
        keyring: this.keyring,
        sealed: sealedOf(wallet),
        orgId: wallet.orgId,
        walletId: wallet.id,
      });
    } catch (error: unknown) {
      throw new WalletUnavailableError(wallet.id, { cause: error });
    }
  }

  /**
   * Re-wraps every data key not yet under the active master key. Safe to run while the service
   * serves traffic: readers accept any master key in the keyring, and each row is updated only if
   * it still carries the key id it was read with. A wallet under a master key the keyring lacks
   * is skipped and reported, not fatal: one forgotten old key must not block every other wallet,
   * on this run or any rerun.
   */
  async rotateMasterKey(): Promise<RotateMasterKeyResult> {
    const activeKekId = this.keyring.activeKekId;
    const known = new Set(this.keyring.kekIds);
    const skipped: SkippedWallet[] = [];
    let skippedCount = 0;
    let rewrapped = 0;
    // Keyset pagination by id: skipped rows keep their key id, so a "not yet active" query alone
    // would return them again on every batch.
    let afterId: string | undefined;
    for (let batch = 0; batch < REWRAP_BATCHES_MAX; batch += 1) {
      const wallets = await this.prisma.wallet.findMany({
        where: { kekId: { not: activeKekId }, ...(afterId === undefined ? {} : { id: { gt: afterId } }) },
        orderBy: { id: 'asc' },
        take: REWRAP_BATCH_SIZE,
      });
      if (wallets.length === 0) break;
      afterId = wallets[wallets.length - 1]?.id;
      for (const wallet of wallets) {
        if (!known.has(wallet.kekId)) {
          skippedCount += 1;
          if (skipped.length < ROTATION_SKIPPED_REPORTED_MAX) {
            skipped.push({ walletId: wallet.id, kekId: wallet.kekId });
          }
          continue;
        }
        rewrapped += await this.rewrapWallet(wallet);
      }
    }
    return { rewrapped, skipped, skippedCount, activeKekId };
  }

  /** Re-wraps one wallet's data key; 0 when another run changed the row first. */
  private async rewrapWallet(wallet: Wallet): Promise<number> {
    const next = rewrapDataKey({
      keyring: this.keyring,
      sealed: sealedOf(wallet),
      orgId: wallet.orgId,
      walletId: wallet.id,
    });
    return this.prisma.$transaction(async (tx) => {
      const result = await tx.wallet.updateMany({
        where: { id: wallet.id, kekId: wallet.kekId },
        data: {
          dataKeyCiphertext: new Uint8Array(next.dataKeyCiphertext),
          kekId: next.kekId,
          rewrappedAt: new Date(),
        },
      });
      if (result.count === 1) {
        await this.audit.append(tx, {
          orgId: wallet.orgId,
          actor: { type: 'cli' },
          action: 'wallet.rewrapped',
          subject: { type: 'wallet', id: wallet.id },
          data: { fromKekId: wallet.kekId, toKekId: next.kekId },
        });
      }
      return result.count;
    });
  }
}

function sealedOf(wallet: Wallet) {
  return {
    address: wallet.address,
    keyCiphertext: Uint8Array.from(wallet.keyCiphertext),
    dataKeyCiphertext: Uint8Array.from(wallet.dataKeyCiphertext),
    kekId: wallet.kekId,
  };
}
