// BENCHMARKS.md holds one generated section per benchmark, each between its own pair of markers,
// so every bench rewrites its section and leaves the others as they are.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as prettier from 'prettier';

const TITLE = '# Benchmarks';

const startMarker = (name: string): string => `<!-- bench:${name}:start -->`;
const endMarker = (name: string): string => `<!-- bench:${name}:end -->`;

/**
 * Replaces the section `name` of `file` with `markdown` (a `## …` heading and its body), or adds
 * it at the end when the file has no such section yet; creates the file when it is missing.
 * The result is written as the repository's Prettier settings format it.
 */
export async function writeBenchmarksSection(file: string, name: string, markdown: string): Promise<void> {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `${TITLE}\n`;
  const block = `${startMarker(name)}\n\n${markdown.trim()}\n\n${endMarker(name)}`;
  const start = current.indexOf(startMarker(name));
  const end = current.indexOf(endMarker(name));
  let text: string;
  if (start >= 0 && end > start) {
    text = `${current.slice(0, start)}${block}${current.slice(end + endMarker(name).length)}`;
  } else if (start >= 0 || end >= 0) {
    throw new Error(`${file} has a broken "${name}" section: one marker without the other.`);
  } else {
    text = `${current.trimEnd()}\n\n${block}\n`;
  }
  await writeFormatted(file, text);
}

/** Writes `text` to `file` as the repository's Prettier settings format it (`npm run lint` stays green). */
export async function writeFormatted(file: string, text: string): Promise<void> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
}
