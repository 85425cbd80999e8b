import type { Config } from '../config/index.ts';
import {
  type Deploy,
  type Deployer,
  deploysBetween,
  logLink,
  type PostDeployOutcome,
  recentDeploys,
  type RollbackAttempt,
} from '../deploys/index.ts';
import type { Logger } from '../log.ts';
import { mayResolveIncident } from '../permissions.ts';
import type { CheckTransition, MonitoringTransition, SmokeResult, Transition } from '../smoke/index.ts';
import type { Store } from '../store/index.ts';
import {
  acknowledge,
  claimArchiveOffers,
  claimChannelRetries,
  claimDueReminders,
  getIncident,
  incidentChecks,
  incidentEvents,
  openIncident,
  openOrJoin,
  recordEvent,
  recoverCheck,
  resolveIncident,
  rollbackStartedBy,
  setChannel,
  type AcknowledgeResult,
  type FailingCheck,
  type Incident,
  type IncidentCheck,
  type IncidentEvent,
  type ResolveResult,
} from './incidents.ts';
import { recordStreamedFailure } from './stream.ts';

/** What a responder sees when an incident opens. */
export interface OpenedIncident {
  incident: Incident;
  check: FailingCheck;
  /** The service's owners, the `invite` list and whoever deployed the service last. */
  invitees: string[];
  /** The service's deploys in the two hours before the first failure, newest first. */
  recentDeploys: Deploy[];
  /** The service's logs from `LOGS_BEFORE_FIRST_FAILURE_MS` before the first failure to now. */
  logUrl?: string;
}

export interface ResolvedIncident {
  incident: Incident;
  checks: IncidentCheck[];
  events: IncidentEvent[];
}

/** How incidents reach people (the Slack layer implements it). */
export interface IncidentNotifier {
  /** Creates the incident's channel, invites, sets the topic, posts the first message; returns the channel. */
  opened(opened: OpenedIncident): Promise<{ id: string; name: string }>;
  /**
   * The incident's rows changed (a check joined, failures were recorded): bring its channel up to
   * date, folded, in the background.
   */
  changed(incident: Incident): void;
  checkRecovered(incident: Incident, check: CheckTransition): Promise<void>;
  recovered(incident: Incident): Promise<void>;
  monitoring(transition: MonitoringTransition): Promise<void>;
  acknowledged(incident: Incident): Promise<void>;
  rollbackStarted(incident: Incident, rollback: Deploy): Promise<void>;
  /** A rollback finished: its checks' results, or undefined when the rollback itself failed. */
  rollbackChecked(incident: Incident, rollback: Deploy, check: PostDeployOutcome | undefined): Promise<void>;
  stillFailing(incident: Incident): Promise<void>;
  resolved(resolved: ResolvedIncident): Promise<void>;
  archiveOffered(incident: Incident): Promise<void>;
}

export interface ResponderDeps {
  store: Store;
  config(): Config;
  now(): Date;
  log: Logger;
  notifier: IncidentNotifier;
  deployer: Pick<Deployer, 'rollback'>;
}

/** How far before an incident's first failure its log link starts (the first message says so). */
export const LOGS_BEFORE_FIRST_FAILURE_MS = 15 * 60_000;
export const RECENT_DEPLOYS_MS = 2 * 60 * 60_000;
const STILL_FAILING_AFTER_MS = 30 * 60_000;
const CHANNEL_RETRY_MS = 60_000;
const ARCHIVE_AFTER_MS = 14 * 24 * 60 * 60_000;

export type ResolveAttempt = ResolveResult | { ok: false; reason: 'not-allowed'; incident: Incident };

export type IncidentRollback =
  | RollbackAttempt
  | { ok: false; notOpen: Incident | undefined }
  | { ok: false; alreadyStarted: IncidentEvent };

/**
 * Turns the smoke checks' verdicts into incidents, and carries out what responders ask of one:
 * acknowledge, roll back, resolve. Every step is a row first; the notifier tells people.
 */
export class IncidentResponder {
  constructor(private readonly deps: ResponderDeps) {}

  /** A failure while the service's incident is open streams into its channel. */
  async onResult(result: SmokeResult): Promise<void> {
    if (result.ok || result.inconclusive) return;
    const incident = await openIncident(this.deps.store, result.service, result.environment);
    if (!incident || result.startedAt < incident.openedAt) return;
    await recordStreamedFailure(this.deps.store, {
      incidentId: incident.id,
      checkId: result.checkId,
      name: result.name,
      error: result.error,
      at: result.startedAt,
    });
    this.deps.notifier.changed(incident);
  }

  async onTransition(transition: Transition): Promise<void> {
    if (!('checkId' in transition)) return this.deps.notifier.monitoring(transition);
    return transition.kind === 'alert' ? this.#alert(transition) : this.#recovered(transition);
  }

  async #alert(transition: CheckTransition) {
    const check: FailingCheck = {
      service: transition.service,
      environment: transition.environment,
      checkId: transition.checkId,
      name: transition.check,
      since: transition.since,
      at: transition.at,
      ...(transition.lastError === undefined ? {} : { lastError: transition.lastError }),
    };
    const { incident, opened } = await openOrJoin(this.deps.store, check);
    if (!opened) return this.deps.notifier.changed(incident);
    await this.#openChannel(incident, check);
  }

  async #openChannel(incident: Incident, check: FailingCheck) {
    const channel = await this.deps.notifier.opened(await this.#openedContext(incident, check));
    await setChannel(this.deps.store, incident.id, channel);
    // Checks that joined while the channel was being made.
    this.deps.notifier.changed({ ...incident, channelId: channel.id, channelName: channel.name });
  }

  /** Tries again, a minute on, to open the channel of an incident whose channel Slack would not create. */
  async retryChannels(): Promise<void> {
    for (const incident of await claimChannelRetries(this.deps.store, this.deps.now(), CHANNEL_RETRY_MS)) {
      const [first] = await incidentChecks(this.deps.store, incident.id);
      if (!first) continue;
      await this.#openChannel(incident, {
        service: incident.service,
        environment: incident.environment,
        checkId: first.checkId,
        name: first.name,
        since: first.since,
        at: incident.openedAt,
        ...(first.lastError === null ? {} : { lastError: first.lastError }),
      }).catch((error) =>
        this.deps.log.error({ err: error, incident: incident.id }, 'could not open an incident channel, again'),
      );
    }
  }

  async #openedContext(incident: Incident, check: FailingCheck): Promise<OpenedIncident> {
    const config = this.deps.config();
    const service = config.services[incident.service];
    const [deployedLast] = await recentDeploys(this.deps.store, incident.service, incident.environment, 1);
    const invitees = [
      ...(service?.owners ?? []),
      ...config.incidents.invite,
      ...(deployedLast ? [deployedLast.requestedBy] : []),
    ];
    const from = new Date(incident.firstFailureAt.getTime() - RECENT_DEPLOYS_MS);
    const logUrl = logLink(service?.logs, {
      service: incident.service,
      environment: incident.environment,
      from: new Date(incident.firstFailureAt.getTime() - LOGS_BEFORE_FIRST_FAILURE_MS),
      to: this.deps.now(),
    });
    return {
      incident,
      check,
      invitees: [...new Set(invitees)],
      recentDeploys: await deploysBetween(this.deps.store, incident.service, incident.environment, {
        from,
        to: incident.firstFailureAt,
      }),
      ...(logUrl ? { logUrl } : {}),
    };
  }

  async #recovered(transition: CheckTransition) {
    const recovered = await recoverCheck(this.deps.store, {
      service: transition.service,
      environment: transition.environment,
      checkId: transition.checkId,
      name: transition.check,
      at: transition.at,
    });
    if (!recovered) return;
    await this.deps.notifier.checkRecovered(recovered.incident, transition);
    if (recovered.allRecovered) await this.deps.notifier.recovered(recovered.incident);
  }

  async acknowledge(id: number, user: string): Promise<AcknowledgeResult> {
    const result = await acknowledge(this.deps.store, id, user, this.deps.now());
    if (result.ok) await this.deps.notifier.acknowledged(result.incident);
    return result;
  }

  /**
   * Rolls the incident's service back: by default the newest deploy, or, from a deploy's button,
   * back to the release before that deploy.
   */
  async rollback(id: number, user: string, beforeDeploy?: number): Promise<IncidentRollback> {
    const incident = await getIncident(this.deps.store, id);
    if (!incident || incident.status !== 'open') return { ok: false, notOpen: incident };
    const rollbackKey = beforeDeploy === undefined ? 'latest' : `before #${beforeDeploy}`;
    const started = await rollbackStartedBy(this.deps.store, id, rollbackKey);
    if (started) return { ok: false, alreadyStarted: started };
    const attempt = await this.deps.deployer.rollback({
      service: incident.service,
      environment: incident.environment,
      requestedBy: user,
      ...(beforeDeploy === undefined ? {} : { before: beforeDeploy }),
    });
    if (attempt.ok) {
      await recordEvent(this.deps.store, id, {
        kind: 'rollback_started',
        at: this.deps.now(),
        actor: user,
        detail: `#${attempt.deploy.id} to ${attempt.deploy.sha.slice(0, 7)}`,
        rollbackKey,
      });
      await this.deps.notifier.rollbackStarted(incident, attempt.deploy);
    }
    return attempt;
  }

  /**
   * After a rollback of a service with an open incident finished: did it fix it (its checks ran
   * again), or did the rollback itself fail (`check` undefined)?
   */
  async afterDeploy(deploy: Deploy, check: PostDeployOutcome | undefined): Promise<void> {
    if (!deploy.rollbackOf) return;
    const incident = await openIncident(this.deps.store, deploy.service, deploy.environment);
    if (!incident) return;
    const detail = check === undefined ? `#${deploy.id} failed` : check.passed ? 'checks pass' : 'checks still fail';
    await recordEvent(this.deps.store, incident.id, { kind: 'rollback_finished', at: this.deps.now(), detail });
    await this.deps.notifier.rollbackChecked(incident, deploy, check);
  }

  /** Resolves as `user`, who must be allowed to (`mayResolveIncident`). */
  async resolve(id: number, user: string, confirmed: boolean): Promise<ResolveAttempt> {
    const incident = await getIncident(this.deps.store, id);
    if (incident && !mayResolveIncident(this.deps.config(), user, incident))
      return { ok: false, reason: 'not-allowed', incident };
    const result = await resolveIncident(this.deps.store, { id, user, at: this.deps.now(), confirmed });
    if (result.ok) {
      const [checks, events] = await Promise.all([
        incidentChecks(this.deps.store, id),
        incidentEvents(this.deps.store, id),
      ]);
      await this.deps.notifier.resolved({ incident: result.incident, checks, events });
    }
    return result;
  }

  /** Says again, in the environment's channel, which incidents still fail 30 minutes after their alert. */
  async remindStillFailing(): Promise<void> {
    for (const incident of await claimDueReminders(this.deps.store, this.deps.now(), STILL_FAILING_AFTER_MS)) {
      await this.deps.notifier.stillFailing(incident);
    }
  }

  /** Offers each incident's channel for archiving 14 days after it was resolved. */
  async offerArchives(): Promise<void> {
    for (const incident of await claimArchiveOffers(this.deps.store, this.deps.now(), ARCHIVE_AFTER_MS)) {
      await this.deps.notifier.archiveOffered(incident);
    }
  }
}
