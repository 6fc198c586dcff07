import { z } from 'zod';

// PostgreSQL text cannot hold U+0000: the statement fails (SQLSTATE 22021, or 22P05 inside JSON).
const NUL_CHARACTER = '\u0000';
// A lone UTF-16 surrogate has no UTF-8 encoding; on its way to the database it would be replaced by
// U+FFFD without a word, so the stored text would differ from what the client sent. (The
// compiler's `lib` predates `String.prototype.isWellFormed`, hence the pattern.)
const LONE_SURROGATE_PATTERN = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const TEXT_NUL_MESSAGE = 'must not contain the NUL character (U+0000)';
export const TEXT_ILL_FORMED_MESSAGE = 'must be well-formed Unicode (no lone surrogates)';

/**
 * Why a string cannot be stored as text, or `undefined` when it can. Shared by the JSON body
 * parser (every string of every body) and the zod text fields (query strings, too).
 */
export function textProblemOf(value: string): string | undefined {
  if (value.includes(NUL_CHARACTER)) return TEXT_NUL_MESSAGE;
  if (LONE_SURROGATE_PATTERN.test(value)) return TEXT_ILL_FORMED_MESSAGE;
  return undefined;
}

export interface TextSchemaParams {
  /** Minimum length in UTF-16 code units, after trimming. */
  readonly min: number;
  /** Maximum length in UTF-16 code units, after trimming; the column must be at least as wide. */
  readonly max: number;
  /** Trim surrounding whitespace first; true by default. */
  readonly trim?: boolean;
}

/**
 * A free-text field: bounded, trimmed unless told otherwise, and refused when PostgreSQL could not
 * store it as sent (a NUL character or a lone surrogate) with a message saying which.
 */
export function textSchema({ min, max, trim = true }: TextSchemaParams) {
  const base = trim ? z.string().trim() : z.string();
  return base
    .min(min)
    .max(max)
    .superRefine((value, context) => {
      const problem = textProblemOf(value);
      if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
    });
}
