import { readFileSync } from 'node:fs';
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { KeyPath, Problem } from './problems.ts';
import { validate } from './problems.ts';
import { checkReferences } from './references.ts';
import { configSchema } from './schema.ts';
import type { Config } from './schema.ts';

/** Why tugboat.yml cannot be used. `message` is the first problem; `problems` holds every one, each a single line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(problems[0]);
    this.problems = problems;
  }
}

export function loadConfig(path: string): Config {
  return parseConfig(readConfigFile(path), path);
}

export function parseConfig(text: string, fileName: string): Config {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;

  const [syntaxError] = document.errors;
  if (syntaxError) {
    const reason = syntaxError.message.split('\n')[0];
    throw new ConfigError([`${fileName}: invalid YAML (line ${lineAt(syntaxError.pos[0])}): ${reason}`]);
  }
  if (document.contents === null) {
    throw new ConfigError([
      `${fileName}: the file is empty; it needs at least environments and services (see README.md#configuration)`,
    ]);
  }

  const shaped = validate(configSchema, document.toJS());
  const checked = shaped.ok ? checkReferences(shaped.value) : shaped;
  if (checked.ok) return checked.value;

  const report = (problem: Problem) =>
    `${fileName}: ${formatPath(problem.path)} (line ${lineAt(offsetOf(document, problem.path))}): ${problem.message}`;
  throw new ConfigError(inReadingOrder(checked.problems, document).map(report));
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError([`${path}: file not found (set TUGBOAT_CONFIG or create it; see README.md#configuration)`]);
    }
    throw new ConfigError([`${path}: cannot be read (${code ?? String(error)})`]);
  }
}

/** Misspelt keys first (they tend to cause the other problems), then from the top of the file down. */
function inReadingOrder(problems: Problem[], document: Document): Problem[] {
  const rank = (problem: Problem) => (problem.unknownKey ? 0 : 1);
  return problems
    .map((problem) => ({ problem, offset: offsetOf(document, problem.path) }))
    .sort((a, b) => rank(a.problem) - rank(b.problem) || a.offset - b.offset)
    .map(({ problem }) => problem);
}

/** `services.api.environments[1]` */
function formatPath(path: KeyPath): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
    .join('');
}

/**
 * Where a key path is written in the YAML: the key itself for map entries, the item for list entries.
 * A path that is not in the file (a missing key) points at its closest ancestor that is.
 */
function offsetOf(document: Document, path: KeyPath): number {
  let node: unknown = document.contents;
  let offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(document);
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      offset = isNode(pair.key) ? (pair.key.range?.[0] ?? offset) : offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
      offset = isNode(node) ? (node.range?.[0] ?? offset) : offset;
    } else {
      break;
    }
  }
  return offset;
}
