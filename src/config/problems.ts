import { z } from 'zod';
import { describeValue, listWithOr, suggest } from './wording.ts';

export type KeyPath = ReadonlyArray<string | number>;

/** One thing wrong with the config, before it is tied to a file and a line. */
export interface Problem {
  path: KeyPath;
  message: string;
  /** A misspelt key usually explains the other problems around it, so it is reported first. */
  unknownKey?: boolean;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Validates `data`, turning zod's issues into problems worded for people editing YAML. */
export function validate<Schema extends z.ZodType>(schema: Schema, data: unknown): Validated<z.output<Schema>> {
  const knownKeysByPath = new Map<string, string[]>();
  const error = (issue: z.core.$ZodRawIssue): string | undefined => {
    if (issue.code === 'unrecognized_keys' && issue.inst instanceof z.ZodObject) {
      knownKeysByPath.set(pathKey(issue.path ?? []), Object.keys(issue.inst.shape));
    }
    return describeIssue(issue);
  };
  const result = schema.safeParse(data, { error });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap((issue) => toProblems(issue, knownKeysByPath)) };
}

function toProblems(issue: z.core.$ZodIssue, knownKeysByPath: Map<string, string[]>): Problem[] {
  const path = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
  if (issue.code !== 'unrecognized_keys') return [{ path, message: issue.message }];
  const knownKeys = knownKeysByPath.get(pathKey(path)) ?? [];
  return issue.keys.map((key) => ({
    path: [...path, key],
    message: unknownKeyMessage(key, knownKeys),
    unknownKey: true,
  }));
}

function unknownKeyMessage(key: string, knownKeys: string[]): string {
  const guess = suggest(key, knownKeys);
  if (guess) return `unknown key; did you mean ${guess}?`;
  return `unknown key; expected ${knownKeys.length === 1 ? '' : 'one of '}${listWithOr(knownKeys)}`;
}

function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}

/** Messages for the issues whose schema did not word them itself. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input === undefined && issue.code === 'invalid_type') return 'is required';
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${typeName(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return expectedOneOf(issue.values.map(String), issue.input);
    case 'invalid_union':
      return issue.discriminator !== undefined && Array.isArray(issue.options)
        ? discriminatorMessage(issue.input, issue.discriminator, issue.options)
        : undefined;
    case 'too_small':
      return tooSmallMessage(issue);
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_key':
      return issue.issues[0]?.message ?? `${describeValue(issue.input)} is not a valid key here`;
    case 'unrecognized_keys':
      return 'unknown key';
    default:
      return undefined;
  }
}

function typeName(expected: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    array: 'a list',
    object: 'a map',
    record: 'a map',
  };
  return names[expected] ?? expected;
}

function expectedOneOf(values: string[], input: unknown): string {
  const guess = typeof input === 'string' ? suggest(input, values) : undefined;
  const didYouMean = guess ? `; did you mean ${guess}?` : '';
  return `expected ${listWithOr(values)}, got ${describeValue(input)}${didYouMean}`;
}

function discriminatorMessage(input: unknown, discriminator: string, options: readonly unknown[]): string {
  const names = options.map(String);
  const value = isRecord(input) ? input[discriminator] : undefined;
  if (value === undefined) return `is required: one of ${listWithOr(names)}`;
  return expectedOneOf(names, value);
}

function tooSmallMessage(issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall>): string {
  const minimum = Number(issue.minimum);
  if (issue.origin === 'array') return minimum <= 1 ? 'must not be empty' : `must list at least ${minimum}`;
  if (issue.origin === 'string') return 'must not be empty';
  return issue.inclusive === false ? `must be more than ${minimum}` : `must be at least ${minimum}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
