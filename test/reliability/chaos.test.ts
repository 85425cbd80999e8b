import { describe, expect, it } from 'vitest';
import { postgresBin } from '../../chaos/postgres.ts';
import { printReport, runChaos } from '../../chaos/run.ts';

// npm run chaos (chaos/run.ts): two tugboat processes on a PostgreSQL cluster of the suite's own,
// through PostgreSQL restarts, Slack and GitHub outages, kill -9, SIGTERM and a deployment that
// never reports. It needs PostgreSQL's server programs (initdb, pg_ctl), not TEST_DATABASE_URL.
const title = postgresBin()
  ? 'the chaos suite'
  : 'the chaos suite (skipped: PostgreSQL’s initdb is not installed; set PG_BIN to the folder of initdb and pg_ctl)';

describe.skipIf(!postgresBin())(title, () => {
  it('loses nothing, does nothing twice, and no replica exits on its own, on every line', async () => {
    const report = await runChaos();
    const printed: string[] = [];
    printReport(report, (line) => printed.push(line));
    console.log(printed.join('\n'));

    expect(report.lines.map((line) => line.fault)).toHaveLength(7);
    for (const line of report.lines) {
      expect(line.expected, line.fault).toBeGreaterThan(0);
      expect(line.injected, line.fault).toBeGreaterThan(0);
      expect({
        fault: line.fault,
        done: line.done,
        twice: line.twice,
        lost: line.lost,
        notes: line.notes,
      }).toMatchObject({ done: line.expected, twice: 0, lost: 0 });
    }
    expect(report.unexpectedExits).toEqual([]);
  }, 480_000);
});
