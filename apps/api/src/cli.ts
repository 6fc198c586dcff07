import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@proco/config';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { CliModule } from './cli.module';
import { DEMO_ORG_NAME, runDemo } from './demo.command';
import { OrgsService } from './orgs/orgs.service';
import { ReceiptKeysService } from './receipts/receipt-keys.service';
import { RelayerKeysService } from './wallets/relayer-keys.service';
import { WalletsService } from './wallets/wallets.service';
import { WebhookSecretsService } from './webhooks/webhook-secrets.service';

const USAGE = `Usage: proco <command> [options]

Commands:
  bootstrap --org <name> [--key-name <name>]   Create an org and its first admin API key (printed once)
  rotate-master-key                            Re-wrap every wallet, receipt-key, relayer and webhook-secret data key under the active master key
  rotate-receipt-key                           Make a new receipt signing key active; the old one stays published
  demo [--org <name>]                          Local demo: an org, a fresh admin key, an agent with a token, funded
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { org: { type: 'string' }, 'key-name': { type: 'string' } },
    strict: true,
  });
  if (
    command !== 'bootstrap' &&
    command !== 'rotate-master-key' &&
    command !== 'rotate-receipt-key' &&
    command !== 'demo'
  ) {
    process.stderr.write(USAGE);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
  const config = loadConfig();
  // Only the demo needs networks (it funds the agent); bootstrap and rotation must work while an
  // RPC is down, so they boot the smaller CliModule, which never contacts a chain.
  const app =
    command === 'demo'
      ? await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error', 'warn'] })
      : await NestFactory.createApplicationContext(CliModule.forRoot(config), { bufferLogs: true });
  if (command !== 'demo') app.useLogger(app.get(Logger));
  try {
    if (command === 'bootstrap') {
      if (values.org === undefined) throw new Error('bootstrap needs --org <name>');
      const result = await app.get(OrgsService).bootstrap({
        orgName: values.org,
        ...(values['key-name'] === undefined ? {} : { keyName: values['key-name'] }),
      });
      print({
        org: result.org,
        apiKey: { id: result.apiKey.id, scope: result.apiKey.scope, secret: result.apiKey.secret },
      });
      process.stderr.write('The API key secret is shown only now; store it safely.\n');
    } else if (command === 'rotate-master-key') {
      // Receipt and relayer keys are sealed under the same master keys, so one rotation re-wraps
      // all three; each service re-wraps its own rows (WalletsService knows nothing of receipts).
      const wallets = await app.get(WalletsService).rotateMasterKey();
      print({
        ...wallets,
        receiptSigningKeys: await app.get(ReceiptKeysService).rotateMasterKey(),
        relayers: await app.get(RelayerKeysService).rotateMasterKey(),
        webhookSecrets: await app.get(WebhookSecretsService).rotateMasterKey(),
      });
    } else if (command === 'rotate-receipt-key') {
      print(await app.get(ReceiptKeysService).rotate({ actor: { type: 'cli' } }));
    } else {
      print(await runDemo(app, { orgName: values.org ?? DEMO_ORG_NAME, apiUrl: config.api.publicUrl }));
    }
    return 0;
  } finally {
    await app.close();
  }
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
