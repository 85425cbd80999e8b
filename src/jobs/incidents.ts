import type { IncidentResponder } from '../incidents/index.ts';
import type { SlackIncidentNotifier } from '../slack/incident-notifier.ts';
import type { Job } from './scheduler.ts';

/** Brings incident channels up to date where their replica left them behind (it died, or Slack failed). */
export function incidentCatchUpJob(notifier: Pick<SlackIncidentNotifier, 'catchUp'>): Job {
  return { name: 'incident-catch-up', schedule: '*/10 * * * * *', run: () => notifier.catchUp() };
}

/**
 * Every minute: opens the channels Slack would not create when their incident opened, and says again in
 * the environment's channel when an incident still fails 30 minutes after its alert.
 */
export function incidentSweepJob(incidents: Pick<IncidentResponder, 'retryChannels' | 'remindStillFailing'>): Job {
  return {
    name: 'incident-sweep',
    schedule: '0 * * * * *',
    run: async () => {
      await incidents.retryChannels();
      await incidents.remindStillFailing();
    },
  };
}

/** Offers resolved incidents' channels for archiving after 14 days. */
export function incidentArchiveJob(incidents: Pick<IncidentResponder, 'offerArchives'>): Job {
  return { name: 'incident-archive', schedule: '0 15 * * * *', run: () => incidents.offerArchives() };
}
