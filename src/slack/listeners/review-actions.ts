import { acknowledge } from './acknowledge.ts';
import { ephemeral } from './respond.ts';
import type { App, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Deps } from '../../deps.ts';
import { type NudgeTarget, slackTimeZone, slackUserFor, snoozeEnd, snoozeNudge } from '../../reviews/index.ts';
import {
  SNOOZE_ACTION,
  nothingToSnooze,
  notYourNudge,
  snoozeChoiceOf,
  snoozeConfirmation,
  snoozedNudge,
} from '../render/nudges.ts';

type SnoozeDeps = Pick<Deps, 'config' | 'github' | 'log' | 'now' | 'slack' | 'store'>;
type Click = Pick<SlackActionMiddlewareArgs<BlockButtonAction>, 'body' | 'action' | 'respond'>;

/** The Snooze buttons of a review nudge. */
export function registerReviewActions(app: App, deps: SnoozeDeps): void {
  app.action<BlockButtonAction>(
    { type: 'block_actions', action_id: SNOOZE_ACTION },
    async ({ ack, body, action, respond }) => {
      await acknowledge(ack);
      await snoozeClicked(deps, { body, action, respond });
    },
  );
}

/** Only the person nudged may snooze; the nudge's buttons then give way to "Snoozed until …". */
export async function snoozeClicked(deps: SnoozeDeps, { body, action, respond }: Click): Promise<void> {
  const choice = snoozeChoiceOf(action.action_id);
  if (!choice) return;
  const target = JSON.parse(action.value ?? '{}') as NudgeTarget;
  if ((await slackUserFor(deps, target.login)) !== body.user.id) {
    await ephemeral(respond, notYourNudge(target));
    return;
  }
  const zone = (await slackTimeZone(deps, body.user.id)) ?? deps.config().timezone;
  const until = snoozeEnd(choice, deps.now(), zone, deps.config().reviews);
  if (!(await snoozeNudge(deps.store, target, until))) {
    await ephemeral(respond, nothingToSnooze(target));
    return;
  }
  const channel = body.channel?.id ?? body.container.channel_id;
  if (!body.message || !channel) {
    await ephemeral(respond, snoozeConfirmation(until));
    return;
  }
  await deps.slack.update({
    channel,
    ts: body.message.ts,
    ...snoozedNudge(body.message.text ?? '', until, body.user.id),
  });
}
