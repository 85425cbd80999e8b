/**
 * Reading pull request comments, which anyone on GitHub can write: every function here looks at
 * most at the first 65,536 characters (GitHub's own limit on a comment) and scans them once,
 * with no backtracking, so no comment can make tugboat spend more than linear time on it.
 */

export const MAX_SCANNED_CHARS = 65_536;
/** The most people one comment can ask for review; the rest of the list is ignored. */
export const MAX_LOGINS_PER_COMMENT = 10;

const PHRASE = 'ready for review';
/** What may come just before `ready for review` (besides the start of a line and spaces or tabs). */
const PUNCTUATION = new Set('.,;:!?)]>*_-');
const LINE_BREAKS = new Set('\n\r\u2028\u2029');
const MAX_LOGIN_LENGTH = 39;

const isBlank = (c: string | undefined) => c === ' ' || c === '\t';
const isAlphanumeric = (c: string | undefined) =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
const isLoginCharacter = (c: string | undefined) => isAlphanumeric(c) || c === '-';
const scanned = (body: string) => body.slice(0, MAX_SCANNED_CHARS);
/** Lower case for ASCII letters only, so positions in the result are positions in `text` (`İ` would become two characters). */
const asciiLowerCase = (text: string) => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());

/**
 * The logins a comment asks for review, in order, each once, at most 10 (an empty list when it
 * asks no one). `ready for review` counts at the start of a line or after punctuation, in any
 * case, followed by `@login`s separated by spaces, commas or "and".
 */
export function readyForReviewLogins(body: string): string[] {
  const text = scanned(body);
  const lower = asciiLowerCase(text);
  const logins = new Map<string, string>();
  let from = 0;
  for (let at = lower.indexOf(PHRASE); at >= 0; at = lower.indexOf(PHRASE, from)) {
    from = at + PHRASE.length;
    if (!startsAStatement(text, at)) continue;
    const list = loginListAt(text, from);
    for (const login of list.logins) {
      if (!logins.has(login.toLowerCase())) logins.set(login.toLowerCase(), login);
      if (logins.size === MAX_LOGINS_PER_COMMENT) return [...logins.values()];
    }
    // The search goes on after the list, as a login like `@x-Ready` may run into the phrase again.
    from = Math.max(from, list.end);
  }
  return [...logins.values()];
}

/** Whether only spaces or tabs stand between `at` and the start of its line or a punctuation mark. */
function startsAStatement(text: string, at: number): boolean {
  let before = at - 1;
  while (isBlank(text[before])) before -= 1;
  return before < 0 || LINE_BREAKS.has(text[before]) || PUNCTUATION.has(text[before]);
}

/**
 * The `@login`s from `at` on, each after optional spaces, one optional comma and an optional
 * "and"; stops at anything else. `end` is where the last login ends.
 */
function loginListAt(text: string, at: number): { logins: string[]; end: number } {
  const logins: string[] = [];
  let end = at;
  for (;;) {
    let i = skipBlanks(text, end);
    if (text[i] === ',') i = skipBlanks(text, i + 1);
    if (text.slice(i, i + 3).toLowerCase() === 'and' && isBlank(text[i + 3])) i = skipBlanks(text, i + 3);
    const login = loginAt(text, i);
    if (login === undefined) break;
    logins.push(login);
    end = i + 1 + login.length;
  }
  return { logins, end };
}

function skipBlanks(text: string, at: number): number {
  let i = at;
  while (isBlank(text[i])) i += 1;
  return i;
}

/**
 * The login of an `@login` at `at`: GitHub's letters, digits and inner hyphens, at most 39, not
 * followed by `_`, `/` (a team) or `@` (an email address); undefined otherwise.
 */
function loginAt(text: string, at: number): string | undefined {
  if (text[at] !== '@') return undefined;
  let end = at + 1;
  while (end - at - 1 <= MAX_LOGIN_LENGTH && isLoginCharacter(text[end])) end += 1;
  const login = text.slice(at + 1, end);
  const next = text[end];
  const valid = login.length >= 1 && login.length <= MAX_LOGIN_LENGTH && login[0] !== '-' && !login.endsWith('-');
  return valid && !isLoginCharacter(next) && next !== '_' && next !== '/' && next !== '@' ? login : undefined;
}

/** A comment that is, or begins with, "resolved": the author says the requested changes are made. */
export function saysResolved(body: string): boolean {
  const text = scanned(body).trimStart();
  return text.slice(0, 8).toLowerCase() === 'resolved' && !isWordCharacter(text[8]);
}

const isWordCharacter = (c: string | undefined) => isAlphanumeric(c) || c === '_';

const LINK_COMMAND = 'tugboat-link';
/** Codes tugboat hands out: Crockford's base32 (no I, L, O or U), so they survive being read aloud or retyped. */
export const LINK_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const LINK_CODE_LENGTH = 8;

/** The code of the first `tugboat-link <code>` in a comment, upper case; undefined when there is none. */
export function linkCodeIn(body: string): string | undefined {
  const text = scanned(body);
  const at = asciiLowerCase(text).indexOf(LINK_COMMAND);
  if (at < 0) return undefined;
  const start = skipBlanks(text, at + LINK_COMMAND.length);
  const code = text.slice(start, start + LINK_CODE_LENGTH).toUpperCase();
  const whole = code.length === LINK_CODE_LENGTH && !isAlphanumeric(text[start + LINK_CODE_LENGTH]);
  return whole && [...code].every((c) => LINK_CODE_ALPHABET.includes(c)) ? code : undefined;
}
