// The reference x402 v2 resource server: @x402/express paymentMiddleware with an
// x402ResourceServer that talks to the facilitator over HTTP, protecting GET /paid with a price in
// the test token. Run as a child process: the reference exits the process when the facilitator
// does not support the route. Environment: PORT, FACILITATOR_URL, CHAIN_ID, TOKEN_ADDRESS, PAY_TO,
// PRICE_ATOMIC, and optionally FACILITATOR_API_KEY, sent as a bearer token on every facilitator call
// (a facilitator that requires auth, such as Proco's).
import { HTTPFacilitatorClient } from '@x402/core/server';
import { ExactEvmScheme } from '@x402/evm/exact/server';
import { paymentMiddleware, x402ResourceServer } from '@x402/express';
import express from 'express';
import { requiredEnvironment, signalReady } from './child-process';

const port = Number(requiredEnvironment('PORT'));
const network = `eip155:${requiredEnvironment('CHAIN_ID')}` as const;

const facilitatorApiKey = process.env['FACILITATOR_API_KEY'] ?? '';
const facilitatorHeaders = { Authorization: `Bearer ${facilitatorApiKey}` };

const resourceServer = new x402ResourceServer(
  new HTTPFacilitatorClient({
    url: requiredEnvironment('FACILITATOR_URL'),
    timeoutMs: 20_000,
    // Without a key the client sends no auth at all, as the reference facilitator expects.
    ...(facilitatorApiKey === ''
      ? {}
      : {
          createAuthHeaders: async () => ({
            verify: facilitatorHeaders,
            settle: facilitatorHeaders,
            supported: facilitatorHeaders,
          }),
        }),
  }),
).register(network, new ExactEvmScheme());

const app = express();
app.use(
  paymentMiddleware(
    {
      'GET /paid': {
        accepts: {
          scheme: 'exact',
          network,
          payTo: requiredEnvironment('PAY_TO'),
          price: {
            amount: requiredEnvironment('PRICE_ATOMIC'),
            asset: requiredEnvironment('TOKEN_ADDRESS'),
            extra: { name: 'USDC', version: '2' },
          },
          maxTimeoutSeconds: 120,
        },
        description: 'reference interop resource',
        mimeType: 'application/json',
      },
    },
    resourceServer,
    undefined,
    undefined,
    // Synced below before listening, so readiness means the facilitator supports the route.
    false,
  ),
);
app.get('/paid', (_request, response) => {
  response.json({ content: 'paid content v2' });
});

async function main(): Promise<void> {
  await resourceServer.initialize();
  const server = app.listen(port, '127.0.0.1', () => signalReady());
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
