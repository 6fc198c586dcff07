// Anything that looks like an absolute URL: a scheme, `://`, then everything up to whitespace or a
// delimiter that commonly closes a quoted URL in error messages and JSON.
const URL_PATTERN = /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'`<>]+/g;

/**
 * Replaces every URL in `text` with its scheme and host (`https://rpc.example.com`). RPC and
 * database URLs often carry credentials in the user info, path or query, and error messages
 * (viem's, Prisma's) quote them verbatim.
 */
export function redactUrls(text: string): string {
  return text.replace(URL_PATTERN, (match) => {
    try {
      const url = new URL(match);
      // `host` excludes the user info and keeps a port, which helps to tell endpoints apart.
      return `${url.protocol}//${url.host}`;
    } catch {
      const scheme = match.slice(0, match.indexOf('://'));
      return `${scheme}://[redacted]`;
    }
  });
}
