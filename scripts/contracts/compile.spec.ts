// Goal: the checked-in artifacts and generated modules are exactly what the sources compile to, so a
// contract edit without `npm run contracts:compile` fails CI instead of shipping stale bytecode.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS_DIRECTORY, CONTRACT_CATALOG, GENERATED_MODULES_DIRECTORY } from './contract-catalog';
import { renderContractFiles, type GeneratedFile } from './render-contract-files';
import { compileContracts } from './solc-compile';

// Loading soljson and compiling OpenZeppelin takes a few seconds on a busy machine.
const COMPILE_TIMEOUT_MS = 120_000;

const repositoryRoot = path.resolve(__dirname, '..', '..');

describe('contract artifacts', () => {
  let files: GeneratedFile[] = [];

  beforeAll(async () => {
    const compilation = compileContracts({ repositoryRoot });
    files = await renderContractFiles({ repositoryRoot, compilation });
  }, COMPILE_TIMEOUT_MS);

  it('generates an artifact, an ABI module and a bytecode module per contract', () => {
    expect(files).toHaveLength(CONTRACT_CATALOG.length * 3);
  });

  it.each(CONTRACT_CATALOG)('$contractName artifacts are up to date', (entry) => {
    const expectedPaths = [
      `${ARTIFACTS_DIRECTORY}/${entry.contractName}.json`,
      `${GENERATED_MODULES_DIRECTORY}/${entry.moduleStem}.abi.ts`,
      `${GENERATED_MODULES_DIRECTORY}/${entry.moduleStem}.bytecode.ts`,
    ];
    for (const relativePath of expectedPaths) {
      const generated = files.find((file) => file.relativePath === relativePath);
      expect(generated, `${relativePath} is not generated`).toBeDefined();
      const onDisk = readFileSync(path.join(repositoryRoot, relativePath), 'utf8');
      // Compare whole files: bytecode, ABI and formatting all count, nothing is ignored.
      expect(onDisk, `${relativePath} is stale: run npm run contracts:compile`).toBe(generated?.content);
    }
  });

  it('keeps Multicall3 runtime code free of constructor-written state', () => {
    const artifact = files.find((file) => file.relativePath.endsWith('/Multicall3.json'));
    const parsed = JSON.parse(artifact?.content ?? '{}') as { bytecode: string; deployedBytecode: string };
    // The creation code is the constructor-less copy loop followed by the runtime code verbatim.
    expect(parsed.bytecode.endsWith(parsed.deployedBytecode.slice(2))).toBe(true);
  });
});
