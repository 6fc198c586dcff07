// Test tiers: `unit` runs pure specs beside the code; `integration` runs suites under test/
// against real PostgreSQL, Redis and a local anvil chain started by the global setup.
import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const alias = {
  '@proco/config': here('./libs/config/src/index.ts'),
  '@proco/keys': here('./libs/keys/src/index.ts'),
  '@proco/receipts': here('./libs/receipts/src/index.ts'),
  '@proco/audit': here('./libs/audit/src/index.ts'),
  '@proco/x402': here('./libs/x402/src/index.ts'),
  '@proco/policy': here('./libs/policy/src/index.ts'),
  '@proco/ledger': here('./libs/ledger/src/index.ts'),
  '@proco/jobs': here('./libs/jobs/src/index.ts'),
  '@proco/evm': here('./libs/evm/src/index.ts'),
  '@proco/persistence': here('./libs/persistence/src/index.ts'),
  '@proco/webhooks': here('./libs/webhooks/src/index.ts'),
};

// SWC keeps decorator metadata, which Nest's dependency injection needs and esbuild drops.
const plugins = [swc.vite({ module: { type: 'es6' } })];

export default defineConfig({
  plugins,
  resolve: { alias },
  test: {
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'scripts/**/*.spec.ts'],
          environment: 'node',
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The suites share one anvil chain; files run one at a time so nonces never race.
          fileParallelism: false,
        },
      },
    ],
  },
});
