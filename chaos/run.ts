import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { killAfterAccepted, killMidDeploy, sigtermMidDeploy } from './lines/crashes.ts';
import { githubOutage } from './lines/github-outage.ts';
import { neverReports } from './lines/never-reports.ts';
import { postgresRestarts } from './lines/postgres-restarts.ts';
import { slackOutage } from './lines/slack-outage.ts';
import { failed, formatTable, type ChaosLine } from './table.ts';
import { NEVER_REPORTS_TIMEOUT, SHUTDOWN_GRACE, World } from './world.ts';
import type { UnexpectedExit } from './replicas.ts';

export interface ChaosReport {
  lines: ChaosLine[];
  unexpectedExits: UnexpectedExit[];
  seconds: number;
  /** Where the replicas' logs are, kept when something failed. */
  logs?: string;
}

/** The lines by the name `npm run chaos -- <name>...` runs alone. */
const OUTAGES = { 'postgres-restarts': postgresRestarts, 'slack-outage': slackOutage, 'github-outage': githubOutage };
const CRASHES = {
  'kill-after-202': killAfterAccepted,
  'kill-mid-deploy': killMidDeploy,
  'sigterm-mid-deploy': sigtermMidDeploy,
  'never-reports': neverReports,
};
export const LINE_NAMES = [...Object.keys(OUTAGES), ...Object.keys(CRASHES)];

export interface ChaosOptions {
  /** Only these lines (names from LINE_NAMES); all of them when empty. */
  only?: string[];
  /** Keep the replicas' logs and a dump of the database's tables even when nothing failed (CHAOS_KEEP=1). */
  keep?: boolean;
}

/** The tables a lost action is traced through, written to `dir` as JSON before the cluster goes. */
const KEPT_TABLES = [
  'github_deliveries',
  'pull_requests',
  'pull_request_reviewers',
  'review_thread_notes',
  'review_thread_marks',
  'slack_outbox',
  'slack_outbox_senders',
];

async function dumpTables(world: World): Promise<void> {
  for (const table of KEPT_TABLES) {
    const rows = await world.query(`select * from ${table}`).catch((error: Error) => [{ error: error.message }]);
    await writeFile(path.join(world.dir, `${table}.json`), JSON.stringify(rows, null, 1));
  }
}

export const reportFailed = (report: ChaosReport) => report.lines.some(failed) || report.unexpectedExits.length > 0;

/**
 * The chaos suite (README.md, "Operations"): two tugboat processes on a PostgreSQL cluster of
 * the suite's own, against the Slack and GitHub fakes, through each fault in turn. Faults that do
 * not disturb each other run at the same time, to stay within about four minutes.
 */
export async function runChaos(
  log: (line: string) => void = () => undefined,
  options: ChaosOptions = {},
): Promise<ChaosReport> {
  const only = options.only ?? [];
  const unknown = only.filter((name) => !LINE_NAMES.includes(name));
  if (unknown.length > 0)
    throw new Error(`no chaos line named ${unknown.join(', ')} (lines: ${LINE_NAMES.join(', ')})`);
  const chosen = <T>(lines: Record<string, T>) =>
    Object.entries(lines)
      .filter(([name]) => only.length === 0 || only.includes(name))
      .map(([, line]) => line);
  const started = Date.now();
  const world = await World.start();
  log(`two replicas up on PostgreSQL at port ${world.postgres.port} (${Math.round((Date.now() - started) / 1000)} s)`);
  const lines: ChaosLine[] = [];
  let keep = false;
  try {
    const since = () => `${Math.round((Date.now() - started) / 1000)} s`;
    const outages = Promise.all(chosen(OUTAGES).map((line) => line(world)));
    // Replicas are killed and restarted only once PostgreSQL, Slack and GitHub are back (their
    // effects may still be settling): a process started while the database is down exits by design
    // (README.md, "Operations"), and Kubernetes would start it again.
    await Promise.race([world.calm(), outages]);
    log(`PostgreSQL restarts, Slack and GitHub outages over (${since()})`);
    const crashes = Promise.all(chosen(CRASHES).map((line) => line(world)));
    lines.push(...(await outages));
    log(`their actions settled (${since()})`);
    lines.push(...(await crashes));
    log(`kills, SIGTERM and a deployment that never reports settled (${since()})`);
  } finally {
    const report: ChaosReport = {
      lines,
      unexpectedExits: world.unexpectedExits,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    keep = reportFailed(report) || options.keep === true;
    if (keep) {
      await dumpTables(world);
      log(`replica logs and the tables (JSON) kept in ${world.dir}`);
    }
    await world.close({ keepDir: keep });
  }
  return {
    lines,
    unexpectedExits: world.unexpectedExits,
    seconds: Math.round((Date.now() - started) / 1000),
    logs: keep ? world.dir : undefined,
  };
}

export function printReport(report: ChaosReport, out: (line: string) => void): void {
  out(formatTable(report.lines));
  for (const line of report.lines) for (const note of line.notes) out(`  ${line.fault.split(' (')[0]}: ${note}`);
  out(
    `configuration for time: TUGBOAT_SHUTDOWN_GRACE=${SHUTDOWN_GRACE} (default 10m), deploy.timeout ${NEVER_REPORTS_TIMEOUT} on the service that never reports; every other knob at its default`,
  );
  out(
    report.unexpectedExits.length === 0
      ? `no replica exited on its own; ${report.seconds} s in all`
      : `replicas that exited on their own: ${report.unexpectedExits.map((e) => `${e.replica} (code ${e.code}, signal ${e.signal})`).join(', ')}`,
  );
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(path.resolve(script)).href;
}

if (isEntryPoint()) {
  const report = await runChaos((line) => process.stderr.write(`chaos: ${line}\n`), {
    only: process.argv.slice(2),
    keep: process.env.CHAOS_KEEP === '1',
  });
  printReport(report, (line) => process.stdout.write(`${line}\n`));
  process.exit(reportFailed(report) ? 1 : 0);
}
