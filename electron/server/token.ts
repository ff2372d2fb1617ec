// Access tokens for the web mode. Anyone on the machine can reach 127.0.0.1, so the URL printed at
// start-up carries a random token that every request must present (query or cookie).
import { randomBytes, timingSafeEqual } from 'node:crypto';

export function createToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Constant-time comparison, so response timing does not reveal how much of a guess was right. */
export function tokensEqual(expected: string, given: string | undefined | null): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** One cookie per port: cookies are not isolated by port, and several servers may run at once. */
export function tokenCookieName(port: number): string {
  return `loupe_token_${port}`;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}
