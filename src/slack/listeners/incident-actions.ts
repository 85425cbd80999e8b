import type { App, BlockButtonAction, RespondFn } from '@slack/bolt';
import type { Deps } from '../../deps.ts';
import { getIncident, type IncidentResponder, type IncidentRollback } from '../../incidents/index.ts';
import { mayArchiveIncident, whomToAsk } from '../../permissions.ts';
import { plain, slackTime, type SlackMessage } from '../render/format.ts';
import { rollbackAnswer } from '../render/deploys.ts';
import {
  INCIDENT_ACKNOWLEDGE_ACTION,
  INCIDENT_ARCHIVE_ACTION,
  INCIDENT_RESOLVE_ACTION,
  INCIDENT_RESOLVE_CONFIRM_ACTION,
  INCIDENT_ROLLBACK_ACTION,
  alreadyAcknowledged,
  archiveNotAllowed,
  resolveNotAllowed,
  resolveRefused,
  type IncidentRollbackValue,
} from '../render/incidents.ts';
import { acknowledge } from './acknowledge.ts';
import { ephemeral } from './respond.ts';

type IncidentActionDeps = Pick<Deps, 'config' | 'log' | 'now' | 'slack' | 'store'> & { incidents: IncidentResponder };

/** Acknowledge, Roll back, Resolve (and Resolve anyway), Archive channel: the incident channel's buttons. */
export function registerIncidentActions(app: App, deps: IncidentActionDeps): void {
  app.action<BlockButtonAction>(
    { type: 'block_actions', action_id: INCIDENT_ACKNOWLEDGE_ACTION },
    async ({ ack, body, action, respond }) => {
      await acknowledge(ack);
      const result = await deps.incidents.acknowledge(Number(action.value), body.user.id);
      if (!result.ok) await ephemeral(respond, alreadyAcknowledged(result.incident));
    },
  );

  app.action<BlockButtonAction>(
    { type: 'block_actions', action_id: INCIDENT_ROLLBACK_ACTION },
    async ({ ack, body, action, respond }) => {
      await acknowledge(ack);
      const value = JSON.parse(action.value ?? '{}') as IncidentRollbackValue;
      const attempt = await deps.incidents.rollback(value.incident, body.user.id, value.before);
      if (!attempt.ok) await ephemeral(respond, await rollbackRefused(deps, value.incident, attempt));
    },
  );

  for (const [actionId, confirmed] of [
    [INCIDENT_RESOLVE_ACTION, false],
    [INCIDENT_RESOLVE_CONFIRM_ACTION, true],
  ] as const) {
    app.action<BlockButtonAction>(
      { type: 'block_actions', action_id: actionId },
      async ({ ack, body, action, respond }) => {
        await acknowledge(ack);
        await resolveClicked(deps, { incidentId: Number(action.value), user: body.user.id, confirmed }, respond);
      },
    );
  }

  app.action<BlockButtonAction>(
    { type: 'block_actions', action_id: INCIDENT_ARCHIVE_ACTION },
    async ({ ack, body, action, respond }) => {
      await acknowledge(ack);
      const incident = await getIncident(deps.store, Number(action.value));
      if (!incident?.channelId) return;
      const config = deps.config();
      if (!mayArchiveIncident(config, body.user.id, incident)) {
        await ephemeral(respond, archiveNotAllowed(incident, whomToAsk(config, { service: incident.service })));
        return;
      }
      const channel = incident.channelId;
      try {
        await deps.slack.call(channel, 'conversations.archive', () =>
          deps.slack.client.conversations.archive({ channel }),
        );
      } catch (error) {
        deps.log.warn({ err: error, channel, user: body.user.id }, 'could not archive an incident channel');
        await ephemeral(
          respond,
          plain('Slack would not archive this channel; archive it from the channel settings instead.'),
        );
      }
    },
  );
}

async function resolveClicked(
  deps: IncidentActionDeps,
  click: { incidentId: number; user: string; confirmed: boolean },
  respond: RespondFn,
) {
  const result = await deps.incidents.resolve(click.incidentId, click.user, click.confirmed);
  if (result.ok) {
    if (click.confirmed) await respond({ delete_original: true });
    return;
  }
  if (result.reason === 'not-allowed')
    return ephemeral(respond, resolveNotAllowed(result.incident, whomToAsk(deps.config(), result.incident)));
  if (result.reason === 'still-failing') return ephemeral(respond, resolveRefused(click.incidentId, result.failing));
  const resolvedAt = result.incident?.resolvedAt;
  await ephemeral(
    respond,
    plain(
      resolvedAt
        ? `This incident was already resolved ${slackTime(resolvedAt)}.`
        : 'tugboat does not know this incident any more.',
    ),
  );
}

async function rollbackRefused(
  deps: IncidentActionDeps,
  incidentId: number,
  attempt: Exclude<IncidentRollback, { ok: true }>,
): Promise<SlackMessage> {
  if ('notOpen' in attempt) return plain('This incident is resolved; use `/rollback` to roll back now.');
  if ('alreadyStarted' in attempt) {
    return plain(
      `This button already started a rollback (${attempt.alreadyStarted.detail}). To go further back, use \`/rollback\`.`,
    );
  }
  const incident = await getIncident(deps.store, incidentId);
  const where = { service: incident!.service, environment: incident!.environment };
  return rollbackAnswer(attempt, where, deps.config().services[where.service].rollback, deps.now());
}
