// `npm run contracts:compile`: compiles contracts/*.sol and writes the checked-in artifacts and the
// generated ABI/bytecode modules. Runtime code never needs solc; only this script does.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderContractFiles } from './render-contract-files';
import { compileContracts } from './solc-compile';

const repositoryRoot = path.resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const compilation = compileContracts({ repositoryRoot });
  for (const warning of compilation.warnings) {
    process.stderr.write(`${warning}\n`);
  }
  const files = await renderContractFiles({ repositoryRoot, compilation });
  for (const file of files) {
    const absolutePath = path.join(repositoryRoot, file.relativePath);
    mkdirSync(path.dirname(absolutePath), { recursive: true });
    writeFileSync(absolutePath, file.content);
    process.stdout.write(`wrote ${file.relativePath}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
