import { acknowledge } from './acknowledge.ts';
import { ephemeral } from './respond.ts';
import type { App, BlockButtonAction, RespondFn } from '@slack/bolt';
import { refRefusal } from '../../../commands/deploy-target.ts';
import { type Deployer, enqueue, forceRefused, getDeploy, permissionCheck } from '../../deploys/index.ts';
import type { Deps } from '../../deps.ts';
import { plain } from '../render/format.ts';
import {
  DEPLOY_CONFIRM_ACTION,
  DEPLOY_QUEUE_ACTION,
  DEPLOY_ROLLBACK_ACTION,
  blockerSentence,
  deployRefusal,
  deployStarted,
  forceNotAllowed,
  queuedConfirmation,
  rollbackAnswer,
  type DeployButtonValue,
} from '../render/deploys.ts';

/**
 * Roll back, Queue me, and Deploy (from `--plan`, or "Deploy anyway" for a rolled-back SHA), each
 * as the person who clicks: Roll back and Deploy through the deploy's own checks, Queue me here.
 */
export function registerDeployActions(
  app: App,
  deps: Pick<Deps, 'config' | 'now' | 'store'> & { deployer: Pick<Deployer, 'rollback' | 'drainQueue' | 'deploy'> },
): void {
  app.action<BlockButtonAction>(
    { type: 'block_actions', action_id: DEPLOY_ROLLBACK_ACTION },
    async ({ ack, body, action, respond }) => {
      await acknowledge(ack);
      const clicked = await getDeploy(deps.store, Number(action.value));
      if (!clicked) {
        await ephemeral(respond, plain('That deploy is not known to tugboat any more.'));
        return;
      }
      const where = { service: clicked.service, environment: clicked.environment };
      const attempt = await deps.deployer.rollback({ ...where, requestedBy: body.user.id, onlyIfLatest: clicked.id });
      if (!attempt.ok) {
        await ephemeral(
          respond,
          rollbackAnswer(attempt, where, deps.config().services[clicked.service].rollback, deps.now()),
        );
      }
    },
  );

  app.action<BlockButtonAction>(
    { type: 'block_actions', action_id: DEPLOY_QUEUE_ACTION },
    async ({ ack, body, action, respond }) => {
      await acknowledge(ack);
      const value = await deployButtonValue(action.value, respond);
      if (!value) return;
      const permission = permissionCheck(deps.config(), { requestedBy: body.user.id, environment: value.environment });
      if (!permission.passed) {
        await ephemeral(respond, plain(blockerSentence(permission.blocker, value, deps.now())));
        return;
      }
      const queued = await enqueue(deps.store, {
        ...value,
        requestedBy: body.user.id,
        channel: body.channel?.id ?? body.user.id,
        now: deps.now(),
      });
      await ephemeral(respond, queuedConfirmation(queued.queued, queued.position, queued.alreadyQueued));
      await deps.deployer.drainQueue(value.service, value.environment);
    },
  );

  app.action<BlockButtonAction>(
    { type: 'block_actions', action_id: DEPLOY_CONFIRM_ACTION },
    async ({ ack, body, action, respond }) => {
      await acknowledge(ack);
      const value = await deployButtonValue(action.value, respond);
      if (!value) return;
      if (forceRefused(deps.config(), { force: value.force, requestedBy: body.user.id })) {
        await ephemeral(respond, forceNotAllowed());
        return;
      }
      const attempt = await deps.deployer.deploy({
        service: value.service,
        environment: value.environment,
        ref: value.ref,
        requestedBy: body.user.id,
        force: Boolean(value.force),
        confirmBadSha: Boolean(value.confirmBadSha),
      });
      if (!attempt.ok) {
        await ephemeral(respond, deployRefusal(attempt.preflight, deps.now()));
        return;
      }
      await respond({ response_type: 'ephemeral', replace_original: true, text: deployStarted(attempt.deploy).text });
    },
  );
}

/** The deploy a Queue me or Deploy button carries; undefined once the clicker is told its ref is refused. */
async function deployButtonValue(
  buttonValue: string | undefined,
  respond: RespondFn,
): Promise<DeployButtonValue | undefined> {
  const value = JSON.parse(buttonValue ?? '{}') as DeployButtonValue;
  const badRef = refRefusal(value.ref);
  if (!badRef) return value;
  await ephemeral(respond, plain(badRef));
  return undefined;
}
