import { formatDuration } from '../config/index.ts';
import type { Incident, IncidentCheck, IncidentEvent } from './incidents.ts';

/** One milestone of an incident, with how long after the first failure it came. */
export interface Milestone {
  label: string;
  at: Date;
  afterFirstFailureMs: number;
  actor: string | null;
  detail: string | null;
}

const LABELS: Record<IncidentEvent['kind'], string> = {
  first_failure: 'First failure',
  alert: 'Alert: incident opened',
  check_failing: 'Another check failing',
  check_recovered: 'Check passing again',
  acknowledged: 'Acknowledged',
  rollback_started: 'Rollback started',
  rollback_finished: 'Rollback finished',
  recovered: 'Recovered: every check passes',
  reminded: 'Still failing after 30 minutes',
  resolved: 'Resolved',
};

export function timeline(incident: Incident, events: IncidentEvent[]): Milestone[] {
  const start = incident.firstFailureAt.getTime();
  return events.map((event) => ({
    label: LABELS[event.kind],
    at: event.at,
    afterFirstFailureMs: event.at.getTime() - start,
    actor: event.actor,
    detail: event.detail,
  }));
}

/** The durations a responder reports: time to alert, to acknowledge, to recover, to resolve. */
export function durations(incident: Incident, events: IncidentEvent[]): Array<{ label: string; ms: number }> {
  const start = incident.firstFailureAt.getTime();
  const first = (kind: IncidentEvent['kind']) => events.find((event) => event.kind === kind)?.at;
  const last = (kind: IncidentEvent['kind']) => events.findLast((event) => event.kind === kind)?.at;
  const measured: Array<[string, Date | undefined]> = [
    ['Time to alert', first('alert')],
    ['Time to acknowledge', first('acknowledged')],
    ['Time to roll back', first('rollback_finished')],
    ['Time to recover', last('recovered')],
    ['Time to resolve', first('resolved')],
  ];
  return measured
    .filter((entry): entry is [string, Date] => entry[1] !== undefined)
    .map(([label, at]) => ({ label, ms: at.getTime() - start }));
}

/**
 * A Markdown post-mortem draft built from the incident's events: the facts filled in, the
 * questions only people can answer left as prompts.
 */
export function postMortemDraft(
  incident: Incident,
  checks: IncidentCheck[],
  events: IncidentEvent[],
  names: (userId: string) => string,
): string {
  const iso = (date: Date) => date.toISOString().replace('.000Z', 'Z');
  const who = (actor: string | null) => (actor ? ` by ${names(actor)}` : '');
  const what = (detail: string | null) => (detail ? `: ${detail}` : '');
  const rows = timeline(incident, events).map(
    (m) =>
      `| ${iso(m.at)} | +${formatDuration(Math.max(0, m.afterFirstFailureMs))} | ${m.label}${who(m.actor)}${what(m.detail)} |`,
  );
  return [
    `# Post-mortem: ${incident.service} in ${incident.environment}, ${iso(incident.firstFailureAt).slice(0, 10)}`,
    '',
    '_Draft written by tugboat from the incident channel. Edit freely._',
    '',
    '## Summary',
    '',
    `${incident.service} failed its smoke checks in ${incident.environment} from ${iso(incident.firstFailureAt)}` +
      (incident.resolvedAt ? ` until it was resolved at ${iso(incident.resolvedAt)}.` : '.'),
    '',
    '## Impact',
    '',
    ...checks.map((check) => `- Check \`${check.name}\`: ${check.lastError ?? 'failed'}`),
    '- Who was affected, and how: _to fill in_',
    '',
    '## Timeline (UTC)',
    '',
    '| Time | Since first failure | Event |',
    '| --- | --- | --- |',
    ...rows,
    '',
    '## Durations',
    '',
    ...durations(incident, events).map((d) => `- ${d.label}: ${formatDuration(Math.max(1000, d.ms))}`),
    '',
    '## Root cause',
    '',
    '_What changed, and why it broke._',
    '',
    '## What went well, what did not',
    '',
    '- _to fill in_',
    '',
    '## Action items',
    '',
    '- [ ] _to fill in_',
    '',
  ].join('\n');
}
