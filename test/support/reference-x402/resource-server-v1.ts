// The legacy reference x402 v1 resource server: x402-express 1.x paymentMiddleware on its own
// express 4, protecting GET /paid-v1 with a price in the test token on a v1 network name
// (`base-sepolia`), settling through the facilitator over HTTP. Run as a child process.
// Environment: PORT, FACILITATOR_URL, V1_NETWORK, TOKEN_ADDRESS, PAY_TO, PRICE_ATOMIC.
import { createRequire } from 'node:module';
import { paymentMiddleware } from 'x402-express';
import type Express from 'express';
import { type Address } from 'viem';
import { requiredEnvironment, signalReady } from './child-process';

// x402-express 1.x ships with express 4; use that copy rather than the repository's express 5.
const requireFromX402Express = createRequire(require.resolve('x402-express'));
const express = requireFromX402Express('express') as typeof Express;

const port = Number(requiredEnvironment('PORT'));
const facilitatorUrl = requiredEnvironment('FACILITATOR_URL') as `${string}://${string}`;

const app = express();
app.use(
  paymentMiddleware(
    requiredEnvironment('PAY_TO') as Address,
    {
      'GET /paid-v1': {
        price: {
          amount: requiredEnvironment('PRICE_ATOMIC'),
          asset: {
            address: requiredEnvironment('TOKEN_ADDRESS') as Address,
            decimals: 6,
            eip712: { name: 'USDC', version: '2' },
          },
        },
        network: requiredEnvironment('V1_NETWORK') as 'base-sepolia',
        config: { description: 'reference interop resource v1', mimeType: 'application/json' },
      },
    },
    { url: facilitatorUrl },
  ),
);
app.get('/paid-v1', (_request, response) => {
  response.json({ content: 'paid content v1' });
});

const server = app.listen(port, '127.0.0.1', () => signalReady());
process.on('SIGTERM', () => server.close(() => process.exit(0)));
