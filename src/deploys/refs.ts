// Which texts tugboat accepts as a git ref (a branch, tag or SHA), checked wherever a ref comes
// in, so a deploy script can pass TUGBOAT_REF to git as is. These are git's check-ref-format
// rules for a branch name (one level allowed), plus no leading `-` (git would read an option)
// and no control characters anywhere. Every check is a plain scan: no backtracking.

/** Git stores a ref as a file, and file names are at most 255 bytes. */
export const MAX_REF_CHARS = 255;

const FORBIDDEN_CHARACTERS = ['~', '^', ':', '?', '*', '[', '\\'];

/**
 * Why `ref` is not a valid git ref, as the end of a sentence ("it starts with `-`"), or undefined
 * when it is. The reason quotes only fixed characters, never the ref itself.
 */
export function refProblem(ref: string): string | undefined {
  if (ref === '') return 'it is empty';
  if (ref.length > MAX_REF_CHARS) return `it is longer than ${MAX_REF_CHARS} characters`;
  if (ref.startsWith('-')) return 'it starts with `-`, which git would read as an option';
  if (ref === '@') return 'a lone `@` means HEAD to git';
  return characterProblem(ref) ?? sequenceProblem(ref) ?? componentProblem(ref);
}

function characterProblem(ref: string): string | undefined {
  for (const character of ref) {
    const code = character.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f))
      return `it contains the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    if (character === ' ') return 'it contains a space';
    if (FORBIDDEN_CHARACTERS.includes(character)) return `it contains \`${character}\``;
  }
  return undefined;
}

function sequenceProblem(ref: string): string | undefined {
  for (const sequence of ['..', '@{', '//']) {
    if (ref.includes(sequence)) return `it contains \`${sequence}\``;
  }
  if (ref.startsWith('/') || ref.endsWith('/')) return 'it starts or ends with `/`';
  if (ref.endsWith('.')) return 'it ends with `.`';
  return undefined;
}

function componentProblem(ref: string): string | undefined {
  for (const component of ref.split('/')) {
    if (component.startsWith('.')) return 'a part of it starts with `.`';
    if (component.endsWith('.lock')) return 'a part of it ends with `.lock`';
  }
  return undefined;
}
