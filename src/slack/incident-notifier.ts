import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/index.ts';
import { type Deploy, logLink, type PostDeployOutcome } from '../deploys/index.ts';
import {
  claimPosting,
  claimRendering,
  claimUnannounced,
  entriesBehind,
  getIncident,
  type Incident,
  incidentChecks,
  type IncidentNotifier,
  type OpenedIncident,
  openIncidents,
  releasePosting,
  type ResolvedIncident,
  type StreamEntry,
} from '../incidents/index.ts';
import type { Logger } from '../log.ts';
import type { CheckTransition, MonitoringTransition } from '../smoke/index.ts';
import type { Store } from '../store/index.ts';
import type { OnSent } from './outbox.ts';
import type { SlackPoster } from './poster.ts';
import type { CommitLinks } from './render/deploys.ts';
import { mention, type SlackMessage } from './render/format.ts';
import * as render from './render/incidents.ts';

export interface IncidentNotifierDeps {
  store: Store;
  slack: SlackPoster;
  config(): Config;
  now(): Date;
  log: Logger;
  links: CommitLinks;
}

const MAX_NAME_ATTEMPTS = 10;
/** A pass's transitions and results arrive one after another: waiting this long tells them in one message. */
const FOLD_MS = 250;
const STREAM_LOGS_BEFORE_MS = 15 * 60_000;

/**
 * Tells an incident's story in Slack: its own channel (created, peopled, topic kept current), a
 * pointer in the environment's channel, failures folded per check per minute.
 */
export class SlackIncidentNotifier implements IncidentNotifier {
  /** Incidents whose channel is being brought up to date: one pass at a time each, and one more behind it at most. */
  readonly #catchingUp = new Map<number, { again: boolean }>();

  constructor(private readonly deps: IncidentNotifierDeps) {}

  async opened(opened: OpenedIncident): Promise<{ id: string; name: string }> {
    const { incident } = opened;
    const channel = await this.#createChannel(incident);
    const withChannel = { ...incident, channelId: channel.id, channelName: channel.name };
    await this.#invite(channel.id, opened.invitees);
    await this.#setTopic(withChannel);
    const service = this.deps.config().services[incident.service];
    await this.#post(channel.id, render.incidentOpened(opened, { links: this.deps.links, repo: service?.repo ?? '' }));
    await this.#post(this.#environmentChannel(incident), render.incidentPointer(incident, channel.id, opened.check));
    return channel;
  }

  async #createChannel(incident: Incident): Promise<{ id: string; name: string }> {
    const prefix = this.deps.config().incidents.channel_prefix;
    for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
      const name = render.incidentChannelName(prefix, incident, attempt);
      try {
        const created = await this.deps.slack.call('conversations.create', 'conversations.create', () =>
          this.deps.slack.client.conversations.create({ name }),
        );
        return { id: created.channel!.id!, name };
      } catch (error) {
        if ((error as { data?: { error?: string } }).data?.error !== 'name_taken') throw error;
      }
    }
    throw new Error(`every incident channel name up to suffix ${MAX_NAME_ATTEMPTS} is taken`);
  }

  /** All at once; when Slack refuses the batch (someone already there, a deactivated user), one by one. */
  async #invite(channel: string, users: string[]) {
    if (users.length === 0) return;
    const invite = (list: string[]) => this.deps.slack.invite(channel, list);
    try {
      await invite(users);
    } catch {
      for (const user of users)
        await invite([user]).catch((error) =>
          this.deps.log.warn({ err: error, channel, user }, 'could not invite to an incident channel'),
        );
    }
  }

  async #setTopic(incident: Incident) {
    if (!incident.channelId) return;
    const channel = incident.channelId;
    const topic = render.incidentTopic(incident, await incidentChecks(this.deps.store, incident.id), mention);
    await this.deps.slack
      .setTopic(channel, topic)
      .catch((error) =>
        this.deps.log.warn({ err: error, incident: incident.id }, 'could not set an incident channel topic'),
      );
  }

  /** No channel: the environment was removed from tugboat.yml since the incident opened; the incident's own channel still hears. */
  async #post(
    channel: string | undefined,
    message: SlackMessage,
    threadTs?: string,
    onSent?: OnSent,
  ): Promise<string | undefined> {
    if (channel === undefined) return undefined;
    try {
      const posted = await this.deps.slack.post(
        { channel, ...message, ...(threadTs ? { thread_ts: threadTs } : {}) },
        onSent,
      );
      return posted.ts;
    } catch (error) {
      this.deps.log.warn({ err: error, channel }, 'could not post about an incident');
      return undefined;
    }
  }

  #environmentChannel(incident: Pick<Incident, 'environment'>): string | undefined {
    return this.deps.config().environments[incident.environment]?.channel;
  }

  changed(incident: Incident): void {
    const current = this.#catchingUp.get(incident.id);
    if (current) {
      current.again = true;
      return;
    }
    const entry = { again: false };
    this.#catchingUp.set(incident.id, entry);
    void (async () => {
      await sleep(FOLD_MS);
      do {
        entry.again = false;
        await this.catchUp(incident.id).catch((error) =>
          this.deps.log.error({ err: error, incident: incident.id }, 'could not bring an incident channel up to date'),
        );
      } while (entry.again);
      this.#catchingUp.delete(incident.id);
    })();
  }

  /**
   * Brings incident channels up to date with their rows, one Slack call at a time, each time choosing
   * what matters most now: first the checks that joined since the last call (one message for all of
   * them), then the folded failures (a new message per check per minute, or the latest count in place).
   * Also run periodically, for what another replica left behind.
   */
  async catchUp(incidentId?: number): Promise<void> {
    const incidents =
      incidentId === undefined
        ? await openIncidents(this.deps.store)
        : [await getIncident(this.deps.store, incidentId)];
    for (const incident of incidents) {
      if (incident?.channelId) await this.#catchUpChannel(incident);
    }
  }

  async #catchUpChannel(incident: Incident) {
    for (;;) {
      const joined = await claimUnannounced(this.deps.store, incident.id);
      if (joined.length > 0) {
        await this.#post(incident.channelId!, render.checksJoined(joined));
        await this.#setTopic(incident);
        continue;
      }
      const [entry] = await entriesBehind(this.deps.store, incident.id, 1);
      if (!entry) return;
      // A post Slack refused is left for the periodic catch-up rather than retried at once.
      const done =
        entry.messageTs === null ? await this.#postEntry(incident, entry) : await this.#updateEntry(incident, entry);
      if (!done) return;
    }
  }

  /** False when Slack refused the post. */
  async #postEntry(incident: Incident, entry: StreamEntry): Promise<boolean> {
    if (!(await claimPosting(this.deps.store, entry))) return true;
    const current = await claimRendering(this.deps.store, entry, 0);
    if (!current) return true;
    const onSent = {
      streamEntry: { incidentId: entry.incidentId, checkId: entry.checkId, minute: entry.minute.toISOString() },
    };
    const ts = await this.#post(incident.channelId!, this.#streamMessage(incident, current), undefined, onSent);
    if (!ts) await releasePosting(this.deps.store, entry);
    return ts !== undefined;
  }

  /** False when Slack refused the update (the message keeps its older count until the entry changes again). */
  async #updateEntry(incident: Incident, entry: StreamEntry): Promise<boolean> {
    const current = await claimRendering(this.deps.store, entry, entry.rendered);
    if (!current?.messageTs) return true;
    const channel = incident.channelId!;
    return this.deps.slack.update({ channel, ts: current.messageTs, ...this.#streamMessage(incident, current) }).then(
      () => true,
      (error) => {
        this.deps.log.warn({ err: error, incident: incident.id }, 'could not update a streamed failure');
        return false;
      },
    );
  }

  #streamMessage(incident: Incident, entry: StreamEntry): SlackMessage {
    const logs = this.deps.config().services[incident.service]?.logs;
    const url = logLink(logs, {
      service: incident.service,
      environment: incident.environment,
      from: new Date(entry.minute.getTime() - STREAM_LOGS_BEFORE_MS),
      to: this.deps.now(),
    });
    return render.streamedFailures(entry, url);
  }

  async checkRecovered(incident: Incident, check: CheckTransition): Promise<void> {
    if (!incident.channelId) return;
    await this.#post(incident.channelId, render.checkRecovered(check));
    await this.#setTopic(incident);
  }

  async recovered(incident: Incident): Promise<void> {
    if (incident.channelId) await this.#post(incident.channelId, render.incidentRecovered(incident));
    await this.#post(this.#environmentChannel(incident), render.incidentRecoveredPointer(incident));
  }

  /** One line in each environment channel that has checks. */
  async monitoring(transition: MonitoringTransition): Promise<void> {
    const config = this.deps.config();
    const environments = new Set(Object.values(config.services).flatMap((service) => Object.keys(service.smoke)));
    const channels = [...environments]
      .map((environment) => config.environments[environment]?.channel)
      .filter((channel) => channel !== undefined);
    await this.deps.slack.postToEach(channels, render.monitoringChanged(transition));
  }

  async acknowledged(incident: Incident): Promise<void> {
    if (!incident.channelId) return;
    await this.#post(incident.channelId, render.acknowledged(incident));
    await this.#setTopic(incident);
  }

  async rollbackStarted(incident: Incident, rollback: Deploy): Promise<void> {
    if (incident.channelId) await this.#post(incident.channelId, render.rollbackStarted(incident, rollback));
  }

  async rollbackChecked(incident: Incident, rollback: Deploy, check: PostDeployOutcome | undefined): Promise<void> {
    if (incident.channelId) await this.#post(incident.channelId, render.rollbackChecked(rollback, check));
  }

  async stillFailing(incident: Incident): Promise<void> {
    await this.#post(this.#environmentChannel(incident), render.stillFailing(incident, this.deps.now()));
  }

  async resolved(resolved: ResolvedIncident): Promise<void> {
    const { incident } = resolved;
    if (incident.channelId) {
      const ts = await this.#post(incident.channelId, render.incidentResolved(resolved));
      if (ts) await this.#post(incident.channelId, render.postMortem(resolved), ts);
      await this.#setTopic(incident);
    }
    await this.#post(this.#environmentChannel(incident), render.incidentResolvedPointer(incident));
  }

  async archiveOffered(incident: Incident): Promise<void> {
    if (incident.channelId) await this.#post(incident.channelId, render.archiveOffer(incident));
  }
}
