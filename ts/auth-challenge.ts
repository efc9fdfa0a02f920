// Parsing WWW-Authenticate / Proxy-Authenticate into the challenge Electron reports in
// 'login' (scheme lowercase, realm), choosing the strongest scheme libcurl can answer.
import type { AuthScheme } from './auth-cache';

export interface AuthChallenge {
  scheme: AuthScheme;
  realm: string;
}

export interface ParsedChallenge {
  scheme: string;
  params: Record<string, string>;
}

/** Chromium prefers the strongest scheme offered. */
const PREFERENCE: AuthScheme[] = ['negotiate', 'ntlm', 'digest', 'basic'];
const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** RFC 7235 challenges. One header value may hold several, separated by commas, so a
 * token followed by '=' is a parameter and any other token starts a new challenge. */
export function parseChallenges(values: readonly string[]): ParsedChallenge[] {
  const challenges: ParsedChallenge[] = [];
  for (const value of values) {
    let i = 0;
    let current: ParsedChallenge | null = null;
    // Right after a scheme (no comma yet) a bare token is a token68 credential blob; after a
    // comma it starts the next challenge.
    let afterComma = true;
    while (i < value.length) {
      const c = value[i];
      if (c === ',') {
        afterComma = true;
        i++;
        continue;
      }
      if (/\s/.test(c)) {
        i++;
        continue;
      }
      const start = i;
      while (i < value.length && TOKEN_CHAR.test(value[i])) i++;
      if (i === start) {
        i++;
        continue;
      }
      const token = value.slice(start, i);
      let j = i;
      while (j < value.length && (value[j] === ' ' || value[j] === '\t')) j++;
      const isParam = current !== null && value[j] === '=' && value[j + 1] !== '=' && j + 1 < value.length;
      if (isParam) {
        i = j + 1;
        while (i < value.length && (value[i] === ' ' || value[i] === '\t')) i++;
        let param = '';
        if (value[i] === '"') {
          i++;
          while (i < value.length && value[i] !== '"') {
            if (value[i] === '\\' && i + 1 < value.length) i++;
            param += value[i++];
          }
          i++;
        } else {
          const valueStart = i;
          while (i < value.length && value[i] !== ',' && !/\s/.test(value[i])) i++;
          param = value.slice(valueStart, i);
        }
        // defineProperty, not assignment: a server's `__proto__=...` is a parameter like any other.
        Object.defineProperty(current!.params, token.toLowerCase(), { value: param, enumerable: true, writable: true, configurable: true });
      } else if (current !== null && !afterComma) {
        // token68: skip it and any '=' padding or other blob characters up to a comma.
        while (i < value.length && value[i] !== ',') i++;
      } else {
        current = { scheme: token.toLowerCase(), params: {} };
        challenges.push(current);
      }
      afterComma = false;
    }
  }
  return challenges;
}

/** The challenge to answer, given which schemes the loaded libcurl supports. */
export function chooseChallenge(values: readonly string[], supported: ReadonlySet<AuthScheme>): AuthChallenge | null {
  const offered = parseChallenges(values);
  for (const scheme of PREFERENCE) {
    if (!supported.has(scheme)) continue;
    const found = offered.find((c) => c.scheme === scheme);
    if (found) return { scheme, realm: Object.hasOwn(found.params, 'realm') ? found.params.realm! : '' };
  }
  return null;
}
