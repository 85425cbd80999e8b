export type {
  AcknowledgeResult,
  FailingCheck,
  Incident,
  IncidentCheck,
  IncidentEvent,
  ResolveResult,
} from './incidents.ts';
export type {
  IncidentNotifier,
  IncidentRollback,
  OpenedIncident,
  ResolvedIncident,
  ResponderDeps,
} from './responder.ts';
export {
  claimUnannounced,
  getIncident,
  incidentChecks,
  incidentEvents,
  incidentInChannel,
  openIncident,
  openIncidents,
} from './incidents.ts';
export { IncidentResponder, LOGS_BEFORE_FIRST_FAILURE_MS, RECENT_DEPLOYS_MS } from './responder.ts';
export { durations, postMortemDraft, timeline } from './timeline.ts';
export { postDeployChecks } from './post-deploy.ts';
export type { StreamEntry } from './stream.ts';
export { claimPosting, claimRendering, entriesBehind, releasePosting, setStreamMessage } from './stream.ts';
