// Learns a token's EIP-712 domain from the chain, so configured `extra.name`/`extra.version` can be
// checked against what the token will actually hash.
import type { Address, PublicClient } from 'viem';
import { decodeEip5267Fields } from './eip5267-fields.util';
import { AssetDomainUnreadableError, AssetNotContractError } from './evm.errors';
import { eip5267Abi, tokenNameVersionAbi } from './token-domain.abi';

/** A token's EIP-712 domain as read on chain. */
export interface TokenDomain {
  readonly name: string;
  readonly version: string;
  /** Present when the token reports it through EIP-5267. */
  readonly chainId?: number;
  /** Present when the token reports it through EIP-5267. */
  readonly verifyingContract?: Address;
  /** Which read produced `name` and `version`. */
  readonly source: 'eip5267' | 'name_version';
}

export interface ReadTokenDomainParams {
  readonly client: PublicClient;
  readonly address: Address;
}

export type ReadTokenDomainResult = TokenDomain;

/**
 * Reads the EIP-712 domain of the token at `address`: EIP-5267 `eip712Domain()` first, then
 * `name()` + `version()` for tokens (like older USDC deployments) that lack EIP-5267.
 *
 * Throws `AssetNotContractError` (`asset_not_contract`) when the address has no code and
 * `AssetDomainUnreadableError` (`asset_domain_unreadable`) when neither read succeeds. RPC failures
 * of the code lookup propagate unchanged.
 */
export async function readTokenDomain({
  client,
  address,
}: ReadTokenDomainParams): Promise<ReadTokenDomainResult> {
  const code = await client.getCode({ address });
  // An EOA answers eth_call with empty data, which would look like an unreadable token; say what it is.
  if (code === undefined || code === '0x') {
    throw new AssetNotContractError({ address });
  }

  const reported = await readEip5267Domain({ client, address });
  if (reported.ok && reported.name !== undefined && reported.version !== undefined) {
    return { ...reported.extras, name: reported.name, version: reported.version, source: 'eip5267' };
  }

  try {
    const [name, version] = await Promise.all([
      client.readContract({ address, abi: tokenNameVersionAbi, functionName: 'name' }),
      client.readContract({ address, abi: tokenNameVersionAbi, functionName: 'version' }),
    ]);
    // Keep chainId / verifyingContract when EIP-5267 gave them but omitted name or version.
    return { ...(reported.ok ? reported.extras : {}), name, version, source: 'name_version' };
  } catch (error: unknown) {
    const cause = reported.ok
      ? error
      : new AggregateError([reported.error, error], 'all domain reads failed');
    throw new AssetDomainUnreadableError({ address, cause });
  }
}

type DomainExtras = { chainId?: number; verifyingContract?: Address };

type Eip5267Read =
  | { ok: true; name: string | undefined; version: string | undefined; extras: DomainExtras }
  | { ok: false; error: unknown };

async function readEip5267Domain({ client, address }: ReadTokenDomainParams): Promise<Eip5267Read> {
  try {
    const [fields, name, version, chainId, verifyingContract] = await client.readContract({
      address,
      abi: eip5267Abi,
      functionName: 'eip712Domain',
    });
    const present = decodeEip5267Fields(fields);
    const extras: DomainExtras = {};
    if (present.chainId) {
      extras.chainId = toChainIdNumber(chainId);
    }
    if (present.verifyingContract) {
      extras.verifyingContract = verifyingContract;
    }
    return {
      ok: true,
      name: present.name ? name : undefined,
      version: present.version ? version : undefined,
      extras,
    };
  } catch (error: unknown) {
    return { ok: false, error };
  }
}

function toChainIdNumber(chainId: bigint): number {
  // Chain ids are configured as numbers; a value past 2^53 cannot be one of ours and would round.
  if (chainId > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`EIP-712 chainId ${chainId} exceeds Number.MAX_SAFE_INTEGER`);
  }
  return Number(chainId);
}
