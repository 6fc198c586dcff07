// Compiles contracts/*.sol with solc-js through the standard-JSON interface, with settings pinned so
// the same sources always give byte-identical artifacts (checked by compile.spec.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import solc from 'solc';
import { z } from 'zod';
import { CONTRACT_CATALOG, type ContractEntry } from './contract-catalog';

/**
 * Fixed compiler settings. `bytecodeHash: 'none'` drops the metadata hash from the bytecode, so a
 * comment or whitespace edit does not move the token's CREATE2 address; `cancun` is the newest fork
 * every chain we target (anvil, Base) has enabled.
 */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  metadata: { bytecodeHash: 'none' },
} as const;

/** The solc release the pragmas pin; a different compiler would silently change bytecode. */
export const SOLC_VERSION_EXPECTED = '0.8.37';

/** One compiled contract, ready to be written out. */
export interface CompiledContract {
  readonly entry: ContractEntry;
  readonly abi: readonly unknown[];
  /** Creation code (constructor + runtime), 0x-prefixed. */
  readonly bytecode: `0x${string}`;
  /** Runtime code as deployed, 0x-prefixed. */
  readonly deployedBytecode: `0x${string}`;
}

export interface CompileContractsParams {
  /** Absolute path of the repository root (holds contracts/ and node_modules/). */
  readonly repositoryRoot: string;
}

export interface CompileContractsResult {
  /** Full solc version string, recorded in the artifacts. */
  readonly compilerVersion: string;
  readonly contracts: readonly CompiledContract[];
  /** solc's warnings, formatted; compilation still succeeded. */
  readonly warnings: readonly string[];
}

const solcMessageSchema = z.object({ severity: z.string(), formattedMessage: z.string() });

const solcContractSchema = z.object({
  abi: z.array(z.unknown()),
  evm: z.object({
    bytecode: z.object({ object: z.string() }),
    deployedBytecode: z.object({
      object: z.string(),
      immutableReferences: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
});

const solcOutputSchema = z.object({
  errors: z.array(solcMessageSchema).optional(),
  contracts: z.record(z.string(), z.record(z.string(), solcContractSchema)).optional(),
});

type SolcImportResult = { contents: string } | { error: string };
type SolcCompile = (input: string, callbacks: { import: (importPath: string) => SolcImportResult }) => string;

/** Compiles every contract in the catalog; throws with solc's messages if any error is reported. */
export function compileContracts({ repositoryRoot }: CompileContractsParams): CompileContractsResult {
  const compilerVersion = (solc.version as () => string)();
  if (!compilerVersion.startsWith(`${SOLC_VERSION_EXPECTED}+`)) {
    throw new Error(`solc ${SOLC_VERSION_EXPECTED} expected, found ${compilerVersion}`);
  }

  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(
      CONTRACT_CATALOG.map((entry) => [
        entry.sourcePath,
        { content: readFileSync(path.join(repositoryRoot, entry.sourcePath), 'utf8') },
      ]),
    ),
    settings: {
      ...SOLC_SETTINGS,
      outputSelection: Object.fromEntries(
        CONTRACT_CATALOG.map((entry) => [
          entry.sourcePath,
          {
            [entry.contractName]: [
              'abi',
              'evm.bytecode.object',
              'evm.deployedBytecode.object',
              'evm.deployedBytecode.immutableReferences',
            ],
          },
        ]),
      ),
    },
  };

  const compile = solc.compile as SolcCompile;
  const rawOutput = compile(JSON.stringify(input), {
    import: (importPath) => resolveImport({ repositoryRoot, importPath }),
  });
  const output = solcOutputSchema.parse(JSON.parse(rawOutput));

  const messages = output.errors ?? [];
  const failures = messages.filter((message) => message.severity === 'error');
  if (failures.length > 0) {
    throw new Error(`solc failed:\n${failures.map((message) => message.formattedMessage).join('\n')}`);
  }

  const contracts = CONTRACT_CATALOG.map((entry) => {
    const compiled = output.contracts?.[entry.sourcePath]?.[entry.contractName];
    if (compiled === undefined) {
      throw new Error(`solc produced no output for ${entry.sourcePath}:${entry.contractName}`);
    }
    const immutableCount = Object.keys(compiled.evm.deployedBytecode.immutableReferences ?? {}).length;
    // anvil_setCode installs runtime code without running a constructor, so an immutable would be
    // read back as zero on chain.
    if (entry.runtimeCodeOnly && immutableCount > 0) {
      throw new Error(`${entry.contractName} must not use immutables: it is installed with anvil_setCode`);
    }
    return {
      entry,
      abi: compiled.abi,
      bytecode: toHex(compiled.evm.bytecode.object),
      deployedBytecode: toHex(compiled.evm.deployedBytecode.object),
    };
  });

  const warnings = messages
    .filter((message) => message.severity !== 'error')
    .map((message) => message.formattedMessage);
  return { compilerVersion, contracts, warnings };
}

function resolveImport({
  repositoryRoot,
  importPath,
}: {
  repositoryRoot: string;
  importPath: string;
}): SolcImportResult {
  // Only package imports are resolved, and only inside node_modules, so a source cannot pull in an
  // arbitrary file from the machine through a crafted import path.
  const nodeModules = path.join(repositoryRoot, 'node_modules');
  const resolved = path.resolve(nodeModules, importPath);
  if (importPath.startsWith('.') || !resolved.startsWith(`${nodeModules}${path.sep}`)) {
    return { error: `import outside node_modules refused: ${importPath}` };
  }
  try {
    return { contents: readFileSync(resolved, 'utf8') };
  } catch (error: unknown) {
    return { error: `cannot read ${importPath}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function toHex(object: string): `0x${string}` {
  if (!/^[0-9a-f]+$/.test(object)) {
    // Unlinked library placeholders (`__$…$__`) would land here; our contracts use none.
    throw new Error('solc returned bytecode that is not plain hex');
  }
  return `0x${object}`;
}
