import { distance } from 'fastest-levenshtein';

/** The candidate closest to `input` (ignoring case), if it is close enough to be a likely typo. */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const typed = input.toLowerCase();
  if (typed === '') return undefined;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const gap = distance(typed, candidate.toLowerCase());
    if (gap <= allowedTypos(typed) && (!best || gap < best.distance)) best = { candidate, distance: gap };
  }
  return best?.candidate ?? candidates.find((candidate) => isAbbreviation(typed, candidate.toLowerCase()));
}

function allowedTypos(typed: string): number {
  if (typed.length <= 3) return 1;
  if (typed.length <= 7) return 2;
  return 3;
}

function isAbbreviation(typed: string, candidate: string): boolean {
  return typed.length >= 3 && (candidate.startsWith(typed) || typed.startsWith(candidate));
}

/** How a YAML value reads in an error message, e.g. `"2x"`, `3600`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

/** `a, b or c` */
export function listWithOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
