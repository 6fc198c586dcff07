import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { KEYRING } from '@proco/config';
import { setNativeBalance } from '@proco/evm';
import {
  generateWalletKey,
  type Keyring,
  openWalletSigner,
  SYSTEM_KEY_ORG_ID,
  type WalletSigner,
} from '@proco/keys';
import { PrismaService } from '@proco/persistence';
import { getAddress, parseEther } from 'viem';
import { type SettlementNetwork } from './settlement-networks.service';

/** Advisory lock taken while the first relayer is created, so replicas booting together make one. */
const RELAYER_CREATION_LOCK = 'proco:relayer:create';
/** On a local chain the relayer is topped up to this much ETH when it runs below half of it. */
export const LOCAL_RELAYER_BALANCE_WEI = parseEther('100');

/** The relayer that signs settlement transactions: its row id and its signer. */
export interface Relayer {
  readonly id: string;
  readonly signer: WalletSigner;
}

/**
 * Custody of the relayer key, the account that submits settlements and pays their gas. Created on
 * first use and sealed like an agent wallet key; opened once per process (the process holds the
 * master key anyway) and never written anywhere in the clear. On production networks the operator
 * funds its address (see `GET /facilitator/supported`); on local chains it funds itself.
 */
@Injectable()
export class RelayerService {
  private readonly logger = new Logger(RelayerService.name);
  private relayer: Promise<Relayer> | undefined;
  private readonly fundedOn = new Set<string>();

  constructor(
    private readonly prisma: PrismaService,
    @Inject(KEYRING) private readonly keyring: Keyring,
  ) {}

  /** The relayer, created on first use. */
  current(): Promise<Relayer> {
    this.relayer ??= this.openOrCreate().catch((error: unknown) => {
      this.relayer = undefined;
      throw error;
    });
    return this.relayer;
  }

  /** Tops the relayer up on a local chain (once per process and network); a no-op elsewhere. */
  async fundLocally(network: SettlementNetwork): Promise<void> {
    if (!network.config.local || this.fundedOn.has(network.config.id)) return;
    const { signer } = await this.current();
    const balance = await network.client.getBalance({ address: signer.address });
    if (balance < LOCAL_RELAYER_BALANCE_WEI / 2n) {
      await setNativeBalance({
        rpcUrl: network.config.rpcUrl,
        address: signer.address,
        amountWei: LOCAL_RELAYER_BALANCE_WEI,
      });
    }
    this.fundedOn.add(network.config.id);
  }

  private async openOrCreate(): Promise<Relayer> {
    const row = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${RELAYER_CREATION_LOCK}))`;
      const existing = await tx.relayer.findFirst({ orderBy: { createdAt: 'asc' } });
      if (existing !== null) return existing;
      const id = randomUUID();
      const sealed = generateWalletKey({ keyring: this.keyring, orgId: SYSTEM_KEY_ORG_ID, walletId: id });
      const created = await tx.relayer.create({
        data: {
          id,
          address: getAddress(sealed.address),
          keyCiphertext: new Uint8Array(sealed.keyCiphertext),
          dataKeyCiphertext: new Uint8Array(sealed.dataKeyCiphertext),
          kekId: sealed.kekId,
        },
      });
      this.logger.log({ relayer: created.address }, 'relayer created; fund it with gas on every network');
      return created;
    });
    const signer = openWalletSigner({
      keyring: this.keyring,
      sealed: {
        address: row.address,
        keyCiphertext: Uint8Array.from(row.keyCiphertext),
        dataKeyCiphertext: Uint8Array.from(row.dataKeyCiphertext),
        kekId: row.kekId,
      },
      orgId: SYSTEM_KEY_ORG_ID,
      walletId: row.id,
    });
    return { id: row.id, signer };
  }
}
