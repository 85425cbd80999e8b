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

export const reportFailed = (report: ChaosReport) => report.lines.some(failed) || report.unexpectedExits.length > 0;

/**
 * The chaos suite (README.md, "Operations"): two tugboat processes on a PostgreSQL cluster of
 * the suite's own, against the Slack and GitHub fakes, through each fault in turn. Faults that do
 * not disturb each other run at the same time, to stay within about four minutes.
 */
export async function runChaos(log: (line: string) => void = () => undefined): Promise<ChaosReport> {
  const started = Date.now();
  const world = await World.start();
  log(`two replicas up on PostgreSQL at port ${world.postgres.port} (${Math.round((Date.now() - started) / 1000)} s)`);
  const lines: ChaosLine[] = [];
  let keep = false;
  try {
    const since = () => `${Math.round((Date.now() - started) / 1000)} s`;
    const outages = Promise.all([postgresRestarts(world), slackOutage(world), githubOutage(world)]);
    // Replicas are killed and restarted only once PostgreSQL, Slack and GitHub are back (their
    // effects may still be settling): a process started while the database is down exits by design
    // (README.md, "Operations"), and Kubernetes would start it again.
    await Promise.race([world.calm(), outages]);
    log(`PostgreSQL restarts, Slack and GitHub outages over (${since()})`);
    const crashes = Promise.all([
      killAfterAccepted(world),
      killMidDeploy(world),
      sigtermMidDeploy(world),
      neverReports(world),
    ]);
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
    keep = reportFailed(report);
    if (keep) log(`replica logs kept in ${world.dir}`);
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
  const report = await runChaos((line) => process.stderr.write(`chaos: ${line}\n`));
  printReport(report, (line) => process.stdout.write(`${line}\n`));
  process.exit(reportFailed(report) ? 1 : 0);
}
