// Path patterns, matched against the URL path only (never the query string or fragment):
//   - a pattern starts with "/" and is split into segments at "/";
//   - a segment "**" matches zero or more whole segments: "/v1/**" matches "/v1", "/v1/" and
//     everything below "/v1";
//   - elsewhere "*" matches any run of characters within one segment, possibly empty: "/v1/*"
//     matches "/v1/chat" and "/v1/" but not "/v1/chat/completions"; "/files/*.json" works too;
//   - everything else is literal and case-sensitive, as URL paths are.
// Both sides are compared after the same normalisation: percent-encoded unreserved characters are
// decoded ("%61" is "a") and other escapes upper-cased, so "/%61dmin" cannot slip past a deny entry
// for "/admin". Dot segments never reach the matcher: the WHATWG URL parser resolves them, and
// patterns may not contain them. Matching is greedy with backtracking to the last star, so it
// takes at most O(pattern × path) steps for any input (no regular-expression blow-up).

const DOUBLE_STAR = '**';
const STAR = '*';
const PATH_PATTERN_CHARACTERS = /^\/[A-Za-z0-9\-._~!$&'()+,;=:@%*/]*$/;
const PERCENT_ESCAPE = /%([0-9A-Fa-f]{2})/g;
const BROKEN_PERCENT_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Decodes percent-escaped unreserved characters and upper-cases the remaining escapes (RFC 3986 §6.2.2). */
export function normalizePath(path: string): string {
  return path.replace(PERCENT_ESCAPE, (_escape, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : `%${hex.toUpperCase()}`;
  });
}

/** Why a path pattern is invalid, or `undefined` when it is valid. */
export function pathPatternProblem(pattern: string): string | undefined {
  if (!PATH_PATTERN_CHARACTERS.test(pattern)) {
    return 'must start with "/" and contain only URL path characters and "*" (no query or fragment)';
  }
  if (BROKEN_PERCENT_ESCAPE.test(pattern)) return 'has a "%" not followed by two hex digits';
  for (const segment of splitSegments(normalizePath(pattern))) {
    if (segment.includes(DOUBLE_STAR) && segment !== DOUBLE_STAR) {
      return '"**" must be a whole segment, like "/v1/**"';
    }
    if (segment === '.' || segment === '..') return 'must not contain "." or ".." segments';
  }
  return undefined;
}

/** Parameters of `pathMatches`. */
export interface PathMatchesParams {
  readonly pattern: string;
  /** The request's path, already normalised with `normalizePath`. */
  readonly path: string;
}

/** Whether a (valid) path pattern matches a normalised path. */
export function pathMatches({ pattern, path }: PathMatchesParams): boolean {
  return matchWithStars({
    pattern: splitSegments(normalizePath(pattern)),
    subject: splitSegments(path),
    isStar: (segment) => segment === DOUBLE_STAR,
    elementMatches: (segment, candidate) => segmentMatches(segment, candidate),
  });
}

function splitSegments(path: string): string[] {
  // "/a/b" -> ["a", "b"]; "/" -> [""]; "/a/" -> ["a", ""].
  return path.slice(1).split('/');
}

function segmentMatches(segment: string, candidate: string): boolean {
  if (!segment.includes(STAR)) return segment === candidate;
  return matchWithStars({
    pattern: [...segment],
    subject: [...candidate],
    isStar: (character) => character === STAR,
    elementMatches: (character, other) => character === other,
  });
}

interface MatchWithStarsParams {
  readonly pattern: readonly string[];
  readonly subject: readonly string[];
  readonly isStar: (element: string) => boolean;
  readonly elementMatches: (patternElement: string, subjectElement: string) => boolean;
}

// Classic wildcard matching: each non-star pattern element consumes exactly one subject element,
// a star consumes any number. On a mismatch, retry from the most recent star with one more element
// consumed by it; earlier stars never need revisiting, which bounds the work.
function matchWithStars({ pattern, subject, isStar, elementMatches }: MatchWithStarsParams): boolean {
  let patternIndex = 0;
  let subjectIndex = 0;
  let starPatternIndex = -1;
  let starSubjectIndex = 0;
  while (subjectIndex < subject.length) {
    const patternElement = pattern[patternIndex];
    const subjectElement = subject[subjectIndex] ?? '';
    if (patternElement !== undefined && isStar(patternElement)) {
      starPatternIndex = patternIndex;
      starSubjectIndex = subjectIndex;
      patternIndex += 1;
    } else if (patternElement !== undefined && elementMatches(patternElement, subjectElement)) {
      patternIndex += 1;
      subjectIndex += 1;
    } else if (starPatternIndex >= 0) {
      patternIndex = starPatternIndex + 1;
      starSubjectIndex += 1;
      subjectIndex = starSubjectIndex;
    } else {
      return false;
    }
  }
  while (patternIndex < pattern.length && isStar(pattern[patternIndex] ?? '')) patternIndex += 1;
  return patternIndex === pattern.length;
}
