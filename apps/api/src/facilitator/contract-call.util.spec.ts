// Goal: a contract's refusal (revert, with or without a reason; empty return data) is told apart
// from the RPC failing (transport error, timeout, any other node error): the first is a value a
// verdict may rest on, the second a retryable rpc_unavailable, so an outage never reads as a refusal.
import { eip3009Abi } from '@proco/evm';
import { createPublicClient, custom, encodeErrorResult, HttpRequestError, parseAbi, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { RpcUnavailableError } from '../networks/networks.errors';
import { callContract, contractRevertOf } from './contract-call.util';

const NETWORK_ID = 'eip155:84532';
const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const HOLDER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

/** A client whose every eth_call is answered by `answer` (a result, or a thrown RPC error). */
function clientAnswering(answer: () => unknown) {
  return createPublicClient({
    transport: custom(
      {
        request: async ({ method }: { method: string }) => {
          if (method === 'eth_call') return answer();
          throw new Error(`unexpected ${method}`);
        },
      },
      { retryCount: 0 },
    ),
  });
}

/** A JSON-RPC error as a node answers it: an error with the node's `code` and revert `data`. */
function rpcError(code: number, message: string, data?: Hex): Error {
  return Object.assign(new Error(message), { code, ...(data === undefined ? {} : { data }) });
}

const revertData = (reason: string): Hex =>
  encodeErrorResult({ abi: parseAbi(['error Error(string)']), errorName: 'Error', args: [reason] });

function readBalance(client: ReturnType<typeof clientAnswering>) {
  return callContract(NETWORK_ID, () =>
    client.readContract({ address: TOKEN, abi: eip3009Abi, functionName: 'balanceOf', args: [HOLDER] }),
  );
}

describe('callContract', () => {
  it('passes a decoded result through', async () => {
    const client = clientAnswering(() => `0x${'0'.repeat(62)}2a`);
    await expect(readBalance(client)).resolves.toEqual({ status: 'success', value: 42n });
  });

  it('reads a revert with a reason string (JSON-RPC code 3) as the contract refusing', async () => {
    const client = clientAnswering(() => {
      throw rpcError(
        3,
        'execution reverted: FiatTokenV2: invalid signature',
        revertData('FiatTokenV2: invalid signature'),
      );
    });
    await expect(readBalance(client)).resolves.toEqual({
      status: 'reverted',
      reason: 'FiatTokenV2: invalid signature',
    });
  });

  it('reads a bare "execution reverted" without data as a refusal without a reason', async () => {
    const client = clientAnswering(() => {
      throw rpcError(-32000, 'execution reverted');
    });
    await expect(readBalance(client)).resolves.toEqual({ status: 'reverted', reason: null });
  });

  it('reads revert data without a reason, and -32603 "execution reverted", as refusals', async () => {
    const empty = clientAnswering(() => {
      throw rpcError(3, 'execution reverted', '0x');
    });
    const internal = clientAnswering(() => {
      throw rpcError(-32603, 'execution reverted');
    });
    await expect(readBalance(empty)).resolves.toEqual({ status: 'reverted', reason: 'execution reverted' });
    await expect(readBalance(internal)).resolves.toEqual({
      status: 'reverted',
      reason: 'execution reverted',
    });
  });

  it('reads empty return data (no contract there) as a refusal', async () => {
    const client = clientAnswering(() => '0x');
    await expect(readBalance(client)).resolves.toEqual({ status: 'reverted', reason: 'returned no data' });
  });

  it.each([
    [
      'a transport failure',
      () => {
        throw new HttpRequestError({ url: 'https://rpc.example.com/v2/key' });
      },
    ],
    [
      'a rate limit',
      () => {
        throw rpcError(-32005, 'limit exceeded');
      },
    ],
    [
      'a node error without revert data',
      () => {
        throw rpcError(-32000, 'header not found');
      },
    ],
    [
      'an internal error (-32603) without revert data, which viem files as a revert',
      () => {
        throw rpcError(-32603, 'internal error');
      },
    ],
  ] as const)('turns %s into rpc_unavailable', async (_name, answer) => {
    const error = await readBalance(clientAnswering(answer)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RpcUnavailableError);
    expect(error).toMatchObject({ code: 'rpc_unavailable', networkId: NETWORK_ID });
  });

  it('does not take our own bugs for reverts', () => {
    expect(contractRevertOf(new TypeError('x is not a function'))).toBeNull();
    expect(contractRevertOf('a string')).toBeNull();
  });
});
