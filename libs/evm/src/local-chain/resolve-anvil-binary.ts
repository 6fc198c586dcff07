// Finds the anvil binary that @foundry-rs/anvil installs as a per-platform optional dependency.
import { createRequire } from 'node:module';
import path from 'node:path';
import { LocalChainError } from './local-chain.errors';

// `${process.platform}-${process.arch}` to the package that carries that build.
const ANVIL_PLATFORM_PACKAGES: Readonly<Record<string, string>> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64',
};

/**
 * Absolute path of the anvil binary for this platform. We spawn the binary itself rather than the
 * npm wrapper so a signal reaches anvil directly. Throws `LocalChainError` (`anvil_binary_not_found`).
 */
export function resolveAnvilBinaryPath(): string {
  const platformKey = `${process.platform}-${process.arch}`;
  const packageName = ANVIL_PLATFORM_PACKAGES[platformKey];
  if (packageName === undefined) {
    throw new LocalChainError({
      code: 'anvil_binary_not_found',
      message: `no @foundry-rs/anvil build for ${platformKey}`,
    });
  }
  try {
    const packageJsonPath = createRequire(__filename).resolve(`${packageName}/package.json`);
    const binaryName = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
    return path.join(path.dirname(packageJsonPath), 'bin', binaryName);
  } catch (error: unknown) {
    throw new LocalChainError({
      code: 'anvil_binary_not_found',
      message: `${packageName} is not installed (devDependency @foundry-rs/anvil)`,
      cause: error,
    });
  }
}
