/** One line of the chaos table: a fault, how often it was injected, and what users saw of the work it hit. */
export interface ChaosLine {
  fault: string;
  injected: number;
  expected: number;
  done: number;
  twice: number;
  lost: number;
  /** What was measured beyond the counts, or why something counted as lost. */
  notes: string[];
}

/**
 * Counts expected actions from how often each was seen (keyed by what makes it one action: a lock
 * of one environment, a ping for one pull request…): seen once is done, more is done twice, never is lost.
 */
export class Tally {
  readonly #seen = new Map<string, number>();

  see(key: string, times: number): void {
    this.#seen.set(key, (this.#seen.get(key) ?? 0) + times);
  }

  entries(): Array<[string, number]> {
    return [...this.#seen];
  }

  line(fault: string, injected: number, notes: string[] = []): ChaosLine {
    const counts = [...this.#seen.values()];
    const lostKeys = [...this.#seen].filter(([, times]) => times === 0).map(([key]) => key);
    const twiceKeys = [...this.#seen].filter(([, times]) => times > 1).map(([key]) => `${key} ×${this.#seen.get(key)}`);
    return {
      fault,
      injected,
      expected: counts.length,
      done: counts.filter((times) => times > 0).length,
      twice: twiceKeys.length,
      lost: lostKeys.length,
      notes: [
        ...notes,
        ...(lostKeys.length ? [`lost: ${lostKeys.join(', ')}`] : []),
        ...(twiceKeys.length ? [`twice: ${twiceKeys.join(', ')}`] : []),
      ],
    };
  }
}

/** A line fails on a loss or a duplicate, and also when it injected nothing or expected nothing (it then proves nothing). */
export const failed = (line: ChaosLine) =>
  line.lost > 0 || line.twice > 0 || line.injected === 0 || line.expected === 0;

export function formatTable(lines: ChaosLine[]): string {
  const header = ['fault', 'faults injected', 'actions expected', 'actions done', 'done twice', 'lost'];
  const rows = lines.map((l) => [l.fault, l.injected, l.expected, l.done, l.twice, l.lost].map(String));
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const format = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  return [
    format(header),
    `|${widths.map((w, i) => (i === 0 ? '-' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`,
    ...rows.map(format),
  ].join('\n');
}
