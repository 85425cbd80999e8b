import { describe, expect, it } from 'vitest';
import { MAX_REF_CHARS, refProblem } from '../../src/deploys/index.ts';

describe('refProblem', () => {
  it.each([
    'main',
    'v1.4.2',
    'feature/flaky-tests',
    'release/2026-11',
    '3f2a1bc',
    'a'.repeat(40),
    'refs/heads/main',
    'fix@home',
    'ünïcode',
    '#41',
    'a.b/c-d_e+f',
  ])('accepts %j', (ref) => expect(refProblem(ref)).toBeUndefined());

  it.each([
    ['', 'it is empty'],
    ['x'.repeat(MAX_REF_CHARS + 1), `it is longer than ${MAX_REF_CHARS} characters`],
    ['-rf', 'it starts with `-`, which git would read as an option'],
    ['--upload-pack=evil', 'it starts with `-`, which git would read as an option'],
    ['@', 'a lone `@` means HEAD to git'],
    ['a..b', 'it contains `..`'],
    ['main@{1}', 'it contains `@{`'],
    ['a//b', 'it contains `//`'],
    ['/main', 'it starts or ends with `/`'],
    ['refs/heads/', 'it starts or ends with `/`'],
    ['main.', 'it ends with `.`'],
    ['.hidden', 'a part of it starts with `.`'],
    ['feature/.x', 'a part of it starts with `.`'],
    ['foo.lock', 'a part of it ends with `.lock`'],
    ['foo.lock/bar', 'a part of it ends with `.lock`'],
    ['a b', 'it contains a space'],
    ['x\u0007', 'it contains the control character U+0007'],
    ['x\u007f', 'it contains the control character U+007F'],
    ['x\u0085', 'it contains the control character U+0085'],
    ['a\nb', 'it contains the control character U+000A'],
    ['HEAD~1', 'it contains `~`'],
    ['HEAD^', 'it contains `^`'],
    ['a:b', 'it contains `:`'],
    ['what?', 'it contains `?`'],
    ['v1.*', 'it contains `*`'],
    ['[x]', 'it contains `[`'],
    ['a\\b', 'it contains `\\`'],
  ])('refuses %j: %s', (ref, problem) => expect(refProblem(ref)).toBe(problem));
});
