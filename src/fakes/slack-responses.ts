import { flag, messageContent, type SlackArgs } from './slack-methods.ts';
import {
  SlackApiError,
  type EphemeralSource,
  type MessageContent,
  type ResponseTarget,
  type SlackWorkspace,
} from './slack-workspace.ts';

const MAX_RESPONSES_PER_URL = 5;
const RESPONSE_URL_LIFETIME_MS = 30 * 60 * 1000;

export interface ResponseOutcome {
  status: number;
  error?: string;
}

/** A POST to a minted response_url: at most 5 of them, within 30 minutes, like Slack. */
export function postToResponseUrl(workspace: SlackWorkspace, id: string, body: SlackArgs): ResponseOutcome {
  const minted = workspace.responseUrls.get(id);
  if (!minted) return { status: 404, error: 'no_service' };
  if (workspace.now() - minted.createdAt > RESPONSE_URL_LIFETIME_MS) return { status: 404, error: 'expired_url' };
  if (minted.uses >= MAX_RESPONSES_PER_URL) return { status: 404, error: 'used_url' };
  try {
    applyResponse(workspace, minted, body, 'response_url');
  } catch (error) {
    if (error instanceof SlackApiError) return { status: 400, error: error.code };
    throw error;
  }
  minted.uses += 1;
  return { status: 200 };
}

/**
 * Shows a response message the way Slack does: deleting or replacing the message it came from,
 * posting to the channel (`in_channel`), or, by default, ephemerally to the user.
 */
export function applyResponse(
  workspace: SlackWorkspace,
  target: ResponseTarget,
  body: SlackArgs,
  source: EphemeralSource,
): void {
  if (flag(body, 'delete_original')) return deleteOriginal(workspace, target);
  const content = messageContent(body);
  if (flag(body, 'replace_original') && target.source) return replaceOriginal(workspace, target, content);
  const channel = target.channel === undefined ? undefined : workspace.channel(target.channel);
  if (!channel) return;
  const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
  if (body.response_type === 'in_channel') {
    workspace.post(channel, content, threadTs);
  } else if (target.user) {
    workspace.addEphemeral({ channel: channel.id, user: target.user, thread_ts: threadTs }, content, source);
  }
}

function deleteOriginal(workspace: SlackWorkspace, { channel, source }: ResponseTarget): void {
  if (!source) return;
  if (source.ephemeral) workspace.removeEphemeral(source.ts);
  else if (channel && workspace.message(channel, source.ts)) workspace.remove(channel, source.ts);
}

function replaceOriginal(
  workspace: SlackWorkspace,
  { channel, source }: ResponseTarget,
  content: MessageContent,
): void {
  if (!source) return;
  const original = source.ephemeral
    ? workspace.ephemeral(source.ts)
    : channel === undefined
      ? undefined
      : workspace.message(channel, source.ts);
  if (!original) return;
  // A replacement is a whole new message: blocks or attachments it leaves out are gone.
  delete original.blocks;
  delete original.attachments;
  Object.assign(original, Object.fromEntries(Object.entries(content).filter(([, value]) => value !== undefined)));
}
