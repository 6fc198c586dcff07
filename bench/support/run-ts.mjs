// Runs one TypeScript entry of this repo (e.g. apps/api/src/main.ts) in plain Node, compiled on
// the fly by SWC with decorator metadata (Nest's dependency injection needs it; tsx/esbuild drops
// it) and the `@proco/*` path aliases of tsconfig.json. The benchmark starts the API server with
// this as a child process, so the server never shares an event loop or build output with anything.
//
//   node bench/support/run-ts.mjs <entry.ts> [args...]
import Module, { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const { transformSync } = require('@swc/core');
const { compilerOptions } = JSON.parse(
  readFileSync(path.join(root, 'tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, ''),
);

/** `@proco/x` → the absolute path tsconfig.json maps it to. */
const aliases = new Map(
  Object.entries(compilerOptions.paths).map(([name, [target]]) => [name, path.join(root, target)]),
);

const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

Module._extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...swcOptions, filename });
  module._compile(code, filename);
};

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveWithAliases(request, ...rest) {
  const target = aliases.get(request) ?? request;
  try {
    return resolveFilename.call(this, target, ...rest);
  } catch (error) {
    // nodenext sources import `./x.js` for the file `./x.ts`.
    if (error?.code !== 'MODULE_NOT_FOUND' || !/^\.\.?\/.*\.js$/.test(target)) throw error;
    return resolveFilename.call(this, target.replace(/\.js$/, '.ts'), ...rest);
  }
};

const [entry, ...args] = process.argv.slice(2);
if (entry === undefined) {
  process.stderr.write('usage: node bench/support/run-ts.mjs <entry.ts> [args...]\n');
  process.exit(2);
}
const entryPath = path.resolve(entry);
process.argv = [process.argv[0], entryPath, ...args];
require(entryPath);
