import 'reflect-metadata';
import { loadConfig } from '@proco/config';
import { createApiApplication } from './setup-application';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApiApplication(config);
  await app.listen(config.api.port, config.api.host);
}

main().catch((error: unknown) => {
  // Boot failures (bad config, unreachable database, asset mismatch) end the process loudly.
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
