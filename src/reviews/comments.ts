const LOGIN = '@[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?(?![\\w/@-])';

/** `ready for review @a [@b …]` at the start of a line or after punctuation; logins may be separated by commas or "and". */
const READY_FOR_REVIEW = new RegExp(`(?:^|[.,;:!?)\\]>*_-])[ \\t]*ready for review((?:[ \\t]*,?[ \\t]*(?:and[ \\t]+)?${LOGIN})+)`, 'gim');

/** The logins a comment asks for review, in order, each once (an empty list when it asks no one). */
export function readyForReviewLogins(body: string): string[] {
  const logins = [...body.matchAll(READY_FOR_REVIEW)].flatMap((match) => [...match[1].matchAll(/@([A-Za-z0-9-]+)/g)].map((m) => m[1]));
  const seen = new Set<string>();
  return logins.filter((login) => !seen.has(login.toLowerCase()) && seen.add(login.toLowerCase()));
}

/** A comment that is, or begins with, "resolved": the author says the requested changes are made. */
export const saysResolved = (body: string) => /^\s*resolved\b/i.test(body);
