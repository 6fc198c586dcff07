// Goal: chain failures leave callRpc as a typed rpc_unavailable error with the original as cause;
// our own bugs are not disguised as an RPC outage.
import { LocalChainError } from '@proco/evm';
import { createPublicClient, custom, HttpRequestError } from 'viem';
import { describe, expect, it } from 'vitest';
import { callRpc } from './call-rpc';
import { RpcUnavailableError } from './networks.errors';

const NETWORK_ID = 'eip155:84532';

/** A PublicClient on a transport that fails every request the way an unreachable node does. */
function unreachableClient() {
  return createPublicClient({
    transport: custom(
      {
        request: async () => {
          throw new HttpRequestError({ url: 'https://rpc.example.com/v2/sk-live-123' });
        },
      },
      { retryCount: 0 },
    ),
  });
}

describe('callRpc', () => {
  it('passes a result through', async () => {
    await expect(callRpc(NETWORK_ID, async () => 42n)).resolves.toBe(42n);
  });

  it('wraps a viem failure of a real client call in rpc_unavailable, keeping the cause', async () => {
    const client = unreachableClient();
    const error = await callRpc(NETWORK_ID, () =>
      client.getBalance({ address: '0x209693Bc6afc0C5328bA36FaF03C514EF312287C' }),
    ).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RpcUnavailableError);
    expect(error).toMatchObject({ code: 'rpc_unavailable', networkId: NETWORK_ID });
    expect((error as RpcUnavailableError).cause).toBeInstanceOf(Error);
    expect((error as RpcUnavailableError).message).not.toContain('sk-live-123');
  });

  it('wraps a local-chain kit failure', async () => {
    const failure = new LocalChainError({ code: 'local_transaction_failed', message: 'mint reverted' });
    await expect(
      callRpc(NETWORK_ID, async () => {
        throw failure;
      }),
    ).rejects.toMatchObject({ code: 'rpc_unavailable', cause: failure });
  });

  it('rethrows anything else unchanged', async () => {
    const bug = new TypeError('x is not a function');
    await expect(
      callRpc(NETWORK_ID, async () => {
        throw bug;
      }),
    ).rejects.toBe(bug);
  });
});
