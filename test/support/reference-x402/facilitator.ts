// The reference x402 facilitator (@x402/core x402Facilitator with the @x402/evm exact scheme, v2
// and v1) behind a tiny express app: POST /verify, POST /settle, GET /supported. It settles on the
// local anvil chain from an anvil dev account. Run as a child process (see child-process.ts).
// Environment: PORT, RPC_URL, CHAIN_ID, FACILITATOR_ACCOUNT_INDEX, V1_NETWORK.
import { anvilDevAccount, localChainDefinition } from '@proco/evm';
import { x402Facilitator } from '@x402/core/facilitator';
import { type PaymentPayload, type PaymentRequirements } from '@x402/core/types';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { ExactEvmScheme } from '@x402/evm/exact/facilitator';
import { ExactEvmSchemeV1 } from '@x402/evm/exact/v1/facilitator';
import express, { type Request, type Response } from 'express';
import { createWalletClient, http, publicActions } from 'viem';
import { requiredEnvironment, signalReady } from './child-process';

const port = Number(requiredEnvironment('PORT'));
const rpcUrl = requiredEnvironment('RPC_URL');
const chainId = Number(requiredEnvironment('CHAIN_ID'));
const account = anvilDevAccount({ index: Number(requiredEnvironment('FACILITATOR_ACCOUNT_INDEX')) });
const v1Network = requiredEnvironment('V1_NETWORK');

const client = createWalletClient({
  account,
  chain: localChainDefinition({ chainId, rpcUrl }),
  transport: http(rpcUrl),
}).extend(publicActions);

type VerifyTypedDataArgs = Parameters<typeof client.verifyTypedData>[0];

const signer = toFacilitatorEvmSigner(
  {
    address: account.address,
    readContract: (args) => client.readContract({ ...args, args: args.args ?? [] }),
    verifyTypedData: (args) => client.verifyTypedData(args as VerifyTypedDataArgs),
    writeContract: (args) => client.writeContract(args),
    sendTransaction: (args) => client.sendTransaction(args),
    waitForTransactionReceipt: (args) => client.waitForTransactionReceipt(args),
    getCode: (args) => client.getCode(args),
  },
  { confirmationTimeoutMs: 15_000 },
);

const facilitator = new x402Facilitator()
  .register(`eip155:${chainId}`, new ExactEvmScheme(signer))
  .registerV1(v1Network as `${string}:${string}`, new ExactEvmSchemeV1(signer));

interface FacilitatorRequestBody {
  readonly paymentPayload: PaymentPayload;
  readonly paymentRequirements: PaymentRequirements;
}

const app = express();
app.use(express.json({ limit: '64kb' }));

function handle(
  operation: (body: FacilitatorRequestBody) => Promise<unknown>,
): (request: Request, response: Response) => Promise<void> {
  return async (request, response) => {
    try {
      response.json(await operation(request.body as FacilitatorRequestBody));
    } catch (error: unknown) {
      // Unknown version, scheme or network: the reference throws; answer like its e2e apps do.
      response.status(500).json({ error: error instanceof Error ? error.message : String(error) });
    }
  };
}

app.post(
  '/verify',
  handle((body) => facilitator.verify(body.paymentPayload, body.paymentRequirements)),
);
app.post(
  '/settle',
  handle((body) => facilitator.settle(body.paymentPayload, body.paymentRequirements)),
);
app.get('/supported', (_request, response) => {
  response.json(facilitator.getSupported());
});

const server = app.listen(port, '127.0.0.1', () => signalReady());
process.on('SIGTERM', () => server.close(() => process.exit(0)));
