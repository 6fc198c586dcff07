import { Injectable } from '@nestjs/common';
import { InjectConfig, type ProcoConfig } from '@proco/config';
import {
  authorizationIdOf,
  checkBeforeSignature,
  checkFromSignature,
  diagnoseSimulationRevert,
  EXACT_SCHEME,
  InvalidFacilitatorRequestError,
  InvalidPaymentPayloadError,
  InvalidPaymentRequirementsError,
  openSignatureEnvelope,
  parseVerifyRequest,
  payerOf,
  requirementsChainIdOf,
  transferAuthorizationDigest,
  v1NetworkNamesOf,
  X402Error,
  type Eip3009VerifyRequest,
  type PayerSignatureEvidence,
  type VerifyRefusal,
  type VerifyRequest,
} from '@proco/x402';
import { PrismaService, SettlementStore } from '@proco/persistence';
import { getAddress, keccak256 } from 'viem';
import { NetworkRegistryService, type RegisteredNetwork } from '../networks/network-registry.service';
import { AuthorizationLockService } from './authorization-lock.service';
import { readErc1271Verdict, readHasCode, readRevertDiagnosis, simulateTransfer } from './exact-evm-chain';
import { FacilitatorRequestRejectedError, PayerRateLimitedError } from './facilitator.errors';
import { AUTHORIZATION_LOCK_TTL_MS, PAYER_VERIFY_WINDOW_MS } from './facilitator.limits';

/** `POST /facilitator/verify`'s answer, the x402 VerifyResponse. */
export interface VerifyResponseView {
  readonly isValid: boolean;
  readonly invalidReason?: string;
  readonly invalidMessage?: string;
  readonly payer?: string;
}

/** `verify` takes the in-flight lock; `settle` confirms it holds it (see `refusalOf`). */
export type RefusalMode = 'verify' | 'settle';

/** One payment kind the facilitator verifies. */
export interface SupportedKindView {
  readonly x402Version: 1 | 2;
  readonly scheme: string;
  /** CAIP-2 for v2, the v1 name for v1. */
  readonly network: string;
}

/** `GET /facilitator/supported`'s answer, the x402 SupportedResponse. */
export interface SupportedView {
  readonly kinds: readonly SupportedKindView[];
  readonly extensions: readonly string[];
  readonly signers: Readonly<Record<string, readonly string[]>>;
}

/**
 * The x402 facilitator for `exact` EIP-3009 payments on every configured network, wire-compatible
 * with the reference `HTTPFacilitatorClient`. Verify runs the reference facilitator's checks in its
 * order with its reason strings, then Proco's own (asset allowlist, `validBefore` horizon, USDC's
 * signature rules), simulates the transfer, and takes the authorization's in-flight lock.
 */
@Injectable()
export class FacilitatorService {
  constructor(
    private readonly registry: NetworkRegistryService,
    private readonly locks: AuthorizationLockService,
    private readonly settlements: SettlementStore,
    private readonly prisma: PrismaService,
    @InjectConfig() private readonly config: ProcoConfig,
  ) {}

  /** Every configured network, as CAIP-2 for v2 and by its v1 name(s) for v1, and the relayer. */
  async supported(): Promise<SupportedView> {
    const networks = this.registry.list();
    const v2 = networks.map((network) => ({
      x402Version: 2 as const,
      scheme: EXACT_SCHEME,
      network: network.config.id,
    }));
    const v1 = networks.flatMap((network) =>
      v1NetworkNamesOf(network.chainId).map((name) => ({
        x402Version: 1 as const,
        scheme: EXACT_SCHEME,
        network: name,
      })),
    );
    // The accounts that submit settlements (and pay their gas): the worker creates the relayer.
    const relayers = await this.prisma.relayer.findMany({
      select: { address: true },
      orderBy: { createdAt: 'asc' },
    });
    const signers =
      relayers.length === 0 ? {} : { 'eip155:*': relayers.map((relayer) => getAddress(relayer.address)) };
    return { kinds: [...v2, ...v1], extensions: [], signers };
  }

  /**
   * Verifies a payment against its requirements: `isValid: true`, or `isValid: false` with the
   * first failing reason (a 200 either way). Reads the chain (payer code, simulation, and on a
   * revert the token's state) and takes the in-flight lock; writes nothing else.
   *
   * Errors: `invalid_json`, `invalid_facilitator_request`, `unsupported_version`,
   * `invalid_payment_payload`, `invalid_payment_requirements`, `invalid_amount` (400);
   * `rate_limited` (429: the payer's verifies per minute, `PROCO_FACILITATOR_PAYER_VERIFIES_PER_MINUTE`);
   * `rpc_unavailable` and `service_unavailable` (503, retryable).
   */
  async verify(body: unknown): Promise<VerifyResponseView> {
    const request = parseFacilitatorRequest(body);
    const refusal = await this.refusalOf(request, 'verify');
    const payer = payerOf(request);
    return {
      isValid: refusal === null,
      ...(refusal === null ? {} : { invalidReason: refusal.reason }),
      ...(refusal?.message === undefined ? {} : { invalidMessage: refusal.message }),
      ...(payer === null ? {} : { payer }),
    };
  }

  /** The configured network a request's requirements name, or `undefined`. */
  networkOf(request: VerifyRequest): RegisteredNetwork | undefined {
    const chainId = requirementsChainIdOf(request);
    return this.registry.list().find((candidate) => candidate.chainId === chainId);
  }

  /**
   * The first reason `request` must be refused, or null. `verify` counts the payer's verifies,
   * refuses an authorization that already has a settlement, and takes the in-flight lock; `settle`
   * runs the same checks but only confirms that no other payload holds the lock.
   */
  async refusalOf(request: VerifyRequest, mode: RefusalMode): Promise<VerifyRefusal | null> {
    const network = this.networkOf(request);
    if (network === undefined) {
      return {
        reason: 'unsupported_network',
        message: `Proco does not facilitate ${request.requirements.network}`,
      };
    }
    if (request.payment.kind !== 'eip3009') {
      return { reason: 'unsupported_payload_type', message: 'only EIP-3009 authorizations are verified' };
    }
    const eip3009: Eip3009VerifyRequest = { ...request, payment: request.payment };
    return checkBeforeSignature(eip3009) ?? (await this.refusalOnChain(network, eip3009, mode));
  }

  private async refusalOnChain(
    network: RegisteredNetwork,
    request: Eip3009VerifyRequest,
    mode: RefusalMode,
  ): Promise<VerifyRefusal | null> {
    if (mode === 'verify') {
      // Before the first chain read: a flood of one payer's authorizations costs no RPC calls.
      const verifies = await this.locks.countPayerVerify({
        chainId: network.chainId,
        payer: request.payment.authorization.from,
        windowMs: PAYER_VERIFY_WINDOW_MS,
        nowMs: Date.now(),
      });
      if (verifies > this.config.facilitator.payerVerifiesPerMinute) {
        throw new PayerRateLimitedError(PAYER_VERIFY_WINDOW_MS);
      }
    }
    const { asset } = request.requirements;
    const configuredAsset = this.registry.findAsset({ network: network.config.id, asset });
    const simulate = () =>
      simulateTransfer(network, {
        asset,
        authorization: request.payment.authorization,
        signature: openSignatureEnvelope(request.payment.signature).innerSignature,
        gas: BigInt(this.config.settlement.gasPerAuthorizationMax),
      });
    // The payer's code and the simulation go out together (one round trip with a batching
    // transport) when the requirements name the token's own verified EIP-712 domain: then a
    // successful simulation is the token itself accepting the signature under the very digest
    // ecrecover would check, and the local ecrecover (the largest CPU cost of a verify) is skipped.
    const domainIsTokens = configuredAsset !== undefined && namesDomainOf(request, configuredAsset.eip712);
    const [payerEvidence, early] = await Promise.all([
      this.payerSignatureEvidence(network, request),
      domainIsTokens ? simulate() : Promise.resolve(undefined),
    ]);
    const payerSignature: PayerSignatureEvidence =
      payerEvidence.kind === 'externally_owned' && early?.status === 'success'
        ? { kind: 'accepted_by_token' }
        : payerEvidence;
    const nowSeconds = BigInt(Math.floor(Date.now() / 1_000));
    const refusal = await checkFromSignature({
      request,
      chainId: network.chainId,
      nowSeconds,
      payerSignature,
      assetConfigured: configuredAsset !== undefined,
    });
    if (refusal !== null) return refusal;
    const simulated = early ?? (await simulate());
    if (simulated.status === 'reverted') {
      return this.diagnose({ network, request, revertReason: simulated.reason });
    }
    if (mode === 'verify') {
      const settled = await this.settlementRefusal(network, request);
      if (settled !== null) return settled;
    }
    return this.lockAuthorization({ network, request, nowSeconds, mode });
  }

  // An authorization Proco is settling (or settled, or failed to) is never valid again: the chain
  // may not show it used yet, and a seller must not serve it twice.
  private async settlementRefusal(
    network: RegisteredNetwork,
    request: Eip3009VerifyRequest,
  ): Promise<VerifyRefusal | null> {
    const { from, nonce } = request.payment.authorization;
    const settlement = await this.settlements.statusByAuthorization({
      chainId: network.chainId,
      asset: request.requirements.asset,
      payer: from,
      nonce,
    });
    if (settlement === null) return null;
    if (settlement.status === 'failed') {
      return {
        reason: 'authorization_settlement_failed',
        message: `settling this authorization failed: ${settlement.errorReason ?? 'unknown reason'}`,
      };
    }
    return {
      reason: 'authorization_in_flight',
      message: `this authorization is being settled (${settlement.status})`,
    };
  }

  // The last check: only one verify of an authorization passes until its lock expires; settle
  // passes when it holds the lock for the same payload (or takes a free one) and leaves it in
  // place, so a replay cannot verify while the transfer is still on its way.
  private async lockAuthorization(params: {
    network: RegisteredNetwork;
    request: Eip3009VerifyRequest;
    nowSeconds: bigint;
    mode: RefusalMode;
  }): Promise<VerifyRefusal | null> {
    const { network, request, nowSeconds, mode } = params;
    const { authorization, signature } = request.payment;
    const lock = {
      authorizationId: authorizationIdOf({
        chainId: network.chainId,
        asset: request.requirements.asset,
        from: authorization.from,
        nonce: authorization.nonce,
      }),
      holder: keccak256(signature),
      // Never past validBefore (at least 6 s ahead here): an expired authorization needs no lock.
      ttlMs: Math.min(
        AUTHORIZATION_LOCK_TTL_MS,
        Number(BigInt(authorization.validBefore) - nowSeconds) * 1_000,
      ),
    };
    const locked = mode === 'verify' ? await this.locks.acquire(lock) : await this.locks.acquireOrHold(lock);
    return locked
      ? null
      : {
          reason: 'authorization_in_flight',
          message: 'another payment of this authorization holds its lock',
        };
  }

  // How the chain says the payer's signature must be judged: by ecrecover (no code), by the
  // wallet's EIP-1271 (code), or not at all (an ERC-6492 wallet that would need deploying).
  private async payerSignatureEvidence(
    network: RegisteredNetwork,
    request: Eip3009VerifyRequest,
  ): Promise<PayerSignatureEvidence> {
    const { innerSignature, deployment } = openSignatureEnvelope(request.payment.signature);
    const wallet = request.payment.authorization.from;
    if (!(await readHasCode(network, wallet))) {
      return deployment === null ? { kind: 'externally_owned' } : { kind: 'counterfactual' };
    }
    const digest = transferAuthorizationDigest({ request, chainId: network.chainId });
    if (digest === null) return { kind: 'contract', erc1271Valid: false };
    return {
      kind: 'contract',
      erc1271Valid: await readErc1271Verdict(network, { wallet, digest, signature: innerSignature }),
    };
  }

  private async diagnose(params: {
    network: RegisteredNetwork;
    request: Eip3009VerifyRequest;
    revertReason: string | null;
  }): Promise<VerifyRefusal> {
    const { network, request, revertReason } = params;
    const { asset, extra, amountAtomic } = request.requirements;
    const { from, nonce } = request.payment.authorization;
    const readings = await readRevertDiagnosis(network, { asset, from, nonce });
    // checkBeforeSignature made sure both are non-empty strings.
    const name = extra?.['name'];
    const version = extra?.['version'];
    const expectedName = typeof name === 'string' ? name : '';
    const expectedVersion = typeof version === 'string' ? version : '';
    const reason = diagnoseSimulationRevert({ readings, expectedName, expectedVersion, amountAtomic });
    return revertReason === null ? { reason } : { reason, message: revertReason };
  }
}

/** Decodes a facilitator request body, mapping decoding errors to `400` problems. */
export function parseFacilitatorRequest(body: unknown): VerifyRequest {
  try {
    return parseVerifyRequest(body);
  } catch (error: unknown) {
    if (error instanceof X402Error) {
      const issues =
        error instanceof InvalidFacilitatorRequestError ||
        error instanceof InvalidPaymentPayloadError ||
        error instanceof InvalidPaymentRequirementsError
          ? error.issues
          : [];
      throw new FacilitatorRequestRejectedError(error.code, error.message, issues, { cause: error });
    }
    throw error;
  }
}

/** Whether the requirements' `extra` names exactly the token's verified EIP-712 name and version. */
function namesDomainOf(request: Eip3009VerifyRequest, domain: { name: string; version: string }): boolean {
  const extra = request.requirements.extra;
  return extra?.['name'] === domain.name && extra['version'] === domain.version;
}
