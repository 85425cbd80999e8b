import type { IncidentResponder } from '../incidents/index.ts';
import type { SlackIncidentNotifier } from '../slack/incident-notifier.ts';
import type { Job } from './scheduler.ts';

/** Brings folded failure messages up to date that their replica left behind (it died, or Slack failed). */
export function incidentStreamJob(notifier: Pick<SlackIncidentNotifier, 'flushStream'>): Job {
  return { name: 'incident-stream', schedule: '*/10 * * * * *', run: () => notifier.flushStream() };
}

/** Says again in the environment's channel when an incident still fails 30 minutes after its alert. */
export function incidentReminderJob(incidents: Pick<IncidentResponder, 'remindStillFailing'>): Job {
  return { name: 'incident-reminder', schedule: '0 * * * * *', run: () => incidents.remindStillFailing() };
}

/** Offers resolved incidents' channels for archiving after 14 days. */
export function incidentArchiveJob(incidents: Pick<IncidentResponder, 'offerArchives'>): Job {
  return { name: 'incident-archive', schedule: '0 15 * * * *', run: () => incidents.offerArchives() };
}
