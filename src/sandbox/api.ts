import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { sendJson } from '../fakes/http.ts';
import type { FakeSlackApi, SlackChannel } from '../fakes/slack-api.ts';
import type { SlackSender } from '../fakes/slack-client.ts';
import { parseCommandLine, SLASH_COMMANDS } from './commands.ts';
import { breakBody, DemoError, type DemoService } from './demo-service.ts';
import type { EventStream } from './events.ts';
import { type GitHubPanel, PanelError, panelBodies, type PanelEvent } from './github-panel.ts';
import { readJson, sendError } from './http.ts';
import type { SandboxPerson } from './seed.ts';

/** What the API routes work with: the fakes, the senders that sign requests to tugboat, the demo service. */
export interface SandboxApiDeps {
  config: () => Config;
  slackApi: FakeSlackApi;
  slack: SlackSender;
  panel: GitHubPanel;
  demo: DemoService;
  events: EventStream;
  people: SandboxPerson[];
}

const commandBody = z.object({
  user: z.string({ error: 'user is required: the Slack user ID of the person typing' }),
  channel: z.string({ error: 'channel is required: the Slack channel ID typed in' }),
  text: z.string({ error: 'text is required, like /lock prod' }),
});

const actionBody = z.object({
  user: z.string({ error: 'user is required: the Slack user ID of the person clicking' }),
  channel: z.string({ error: 'channel is required: the channel of the message' }),
  message_ts: z.string({ error: 'message_ts is required: the ts of the message with the button' }),
  ephemeral: z.boolean().optional(),
  action_id: z.string({ error: 'action_id is required' }),
  block_id: z.string().optional(),
  value: z.string().optional(),
});

/** The sandbox page's HTTP API, `/api/…`; false when the path is not one of its routes. */
export async function handleApi(
  deps: SandboxApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (!path.startsWith('/api/')) return false;

  if (method === 'GET' && path === '/api/state') return done(sendJson(res, 200, state(deps)));
  if (method === 'GET' && path === '/api/events') return done(deps.events.handle(req, res));
  if (method === 'GET' && path === '/api/ephemerals') return done(ephemerals(deps, res, url.searchParams.get('user')));
  const messages = /^\/api\/channels\/([^/]+)\/messages$/.exec(path);
  if (method === 'GET' && messages) return done(channelMessages(deps, res, decodeURIComponent(messages[1])));
  const thread = /^\/api\/channels\/([^/]+)\/thread\/([^/]+)$/.exec(path);
  if (method === 'GET' && thread)
    return done(threadMessages(deps, res, decodeURIComponent(thread[1]), decodeURIComponent(thread[2])));
  if (method === 'POST' && path === '/api/command') return done(await command(deps, req, res));
  if (method === 'POST' && path === '/api/action') return done(await action(deps, req, res));
  const github = /^\/api\/github\/([^/]+)$/.exec(path);
  if (method === 'POST' && github) return done(await githubEvent(deps, req, res, decodeURIComponent(github[1])));
  if (method === 'POST' && path === '/api/demo/break') return done(await demoBreak(deps, req, res));

  sendError(res, 404, `There is no ${method} ${path} in the sandbox API.`);
  return true;
}

const done = (_: unknown) => true;

function state(deps: SandboxApiDeps) {
  const { slackApi, panel, demo } = deps;
  const config = deps.config();
  const person = (id: string) => deps.people.find((p) => p.slackId === id);
  return {
    team: { id: slackApi.team.id, name: slackApi.team.name },
    bot: { id: slackApi.bot.userId, name: slackApi.bot.name },
    users: slackApi
      .users()
      .map((u) => ({ id: u.id, name: u.name, real_name: u.real_name, is_bot: u.is_bot, github: person(u.id)?.login })),
    people: deps.people.map((p) => ({
      id: p.slackId,
      name: p.name,
      real_name: p.realName,
      login: p.login,
      admin: config.admins.includes(p.slackId),
      deploys_to: Object.entries(config.environments)
        .filter(([, env]) => !env.deployers || env.deployers.includes(p.slackId) || config.admins.includes(p.slackId))
        .map(([name]) => name),
    })),
    channels: slackApi.channels().map(describeChannel),
    commands: SLASH_COMMANDS.map((c) => ({ ...c })),
    services: Object.entries(config.services).map(([name, s]) => ({
      name,
      repo: s.repo,
      environments: s.environments,
    })),
    environments: Object.entries(config.environments).map(([name, e]) => ({
      name,
      aliases: e.aliases,
      channel: e.channel,
    })),
    github: { repos: panel.repos(), logins: panel.logins(), deployments: panel.pendingDeployments() },
    demo: demo.targets(),
  };
}

function describeChannel(channel: SlackChannel) {
  return {
    id: channel.id,
    name: channel.name,
    is_im: channel.is_im,
    is_private: channel.is_private,
    is_archived: channel.is_archived,
    topic: channel.topic.value,
    purpose: channel.purpose.value,
    members: channel.members,
    created: channel.created,
    ...(channel.user ? { user: channel.user } : {}),
  };
}

function channelMessages(deps: SandboxApiDeps, res: ServerResponse, id: string): void {
  if (!deps.slackApi.channel(id)) return sendError(res, 404, `There is no channel ${id}.`);
  sendJson(res, 200, { messages: deps.slackApi.messages(id) });
}

function threadMessages(deps: SandboxApiDeps, res: ServerResponse, id: string, ts: string): void {
  if (!deps.slackApi.channel(id)) return sendError(res, 404, `There is no channel ${id}.`);
  if (!deps.slackApi.message(id, ts)) return sendError(res, 404, `There is no message ${ts} in ${id}.`);
  sendJson(res, 200, { messages: deps.slackApi.thread(id, ts) });
}

function ephemerals(deps: SandboxApiDeps, res: ServerResponse, user: string | null): void {
  if (!user) return sendError(res, 400, 'Say whose ephemeral messages: ?user=U….');
  if (!deps.slackApi.user(user)) return sendError(res, 404, `There is no user ${user}.`);
  sendJson(res, 200, { ephemerals: deps.slackApi.ephemerals(user) });
}

/** Whether `user` and `channel` exist; answers 400 when not. */
function checkWho(deps: SandboxApiDeps, res: ServerResponse, user: string, channel: string): boolean {
  const known = deps.slackApi.user(user);
  if (!known || known.is_bot) {
    const people = deps.people.map((p) => `${p.slackId} (${p.realName})`).join(', ');
    sendError(res, 400, `${user} is not a person in the sandbox; try ${people}.`);
    return false;
  }
  if (!deps.slackApi.channel(channel)) {
    sendError(res, 400, `There is no channel ${channel}.`);
    return false;
  }
  return true;
}

async function command(deps: SandboxApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req, res, commandBody);
  if (!body || !checkWho(deps, res, body.user, body.channel)) return;
  const parsed = parseCommandLine(body.text);
  if (!parsed.ok) return sendError(res, 400, parsed.error);
  const delivery = await deps.slack.slashCommand({
    command: parsed.command,
    text: parsed.text,
    userId: body.user,
    channelId: body.channel,
  });
  if (delivery.status !== 200)
    return sendError(
      res,
      502,
      `tugboat answered ${parsed.command} with HTTP ${delivery.status}: ${delivery.body || '(no body)'}`,
    );
  sendJson(res, 200, { ok: true });
}

async function action(deps: SandboxApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req, res, actionBody);
  if (!body || !checkWho(deps, res, body.user, body.channel)) return;
  const ephemeral = deps.slackApi
    .ephemerals(body.user)
    .find((e) => e.ts === body.message_ts && e.channel === body.channel);
  const message = deps.slackApi.message(body.channel, body.message_ts);
  const found = body.ephemeral === true ? ephemeral : body.ephemeral === false ? message : (message ?? ephemeral);
  if (!found)
    return sendError(
      res,
      404,
      `There is no ${body.ephemeral ? 'ephemeral message' : 'message'} ${body.message_ts} in ${body.channel} that ${body.user} can see.`,
    );
  if (!hasAction(found.blocks, body.action_id))
    return sendError(res, 400, `That message has no button with action_id ${body.action_id}.`);
  const delivery = await deps.slack.blockAction({
    userId: body.user,
    channelId: body.channel,
    actionId: body.action_id,
    messageTs: body.message_ts,
    blockId: body.block_id,
    value: body.value,
  });
  if (delivery.status !== 200)
    return sendError(
      res,
      502,
      `tugboat answered the click with HTTP ${delivery.status}: ${delivery.body || '(no body)'}`,
    );
  sendJson(res, 200, { ok: true });
}

function hasAction(blocks: unknown[] | undefined, actionId: string): boolean {
  return (blocks ?? []).some((block) => {
    const b = block as { elements?: unknown[]; accessory?: unknown; element?: unknown };
    const elements = [...(Array.isArray(b?.elements) ? b.elements : []), b?.accessory, b?.element];
    return elements.some((e) => (e as { action_id?: unknown } | undefined)?.action_id === actionId);
  });
}

async function githubEvent(
  deps: SandboxApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  event: string,
): Promise<void> {
  if (!(event in panelBodies))
    return sendError(
      res,
      404,
      `The GitHub panel has no ${event} event; it has ${Object.keys(panelBodies).join(', ')}.`,
    );
  const name = event as PanelEvent;
  const body = await readJson(req, res, panelBodies[name]);
  if (!body) return;
  try {
    const result = await runPanel(deps.panel, name, body);
    sendJson(res, 200, { ok: true, ...result });
  } catch (error) {
    if (error instanceof PanelError) return sendError(res, error.status, error.message);
    throw error;
  }
}

async function runPanel(panel: GitHubPanel, event: PanelEvent, body: unknown): Promise<Record<string, unknown> | void> {
  switch (event) {
    case 'open_pr':
      return panel.openPullRequest(body as z.output<typeof panelBodies.open_pr>);
    case 'request_review':
      return panel.requestReview(body as z.output<typeof panelBodies.request_review>);
    case 'comment':
      return panel.comment(body as z.output<typeof panelBodies.comment>);
    case 'review':
      return panel.review(body as z.output<typeof panelBodies.review>);
    case 'merge':
      return panel.merge(body as z.output<typeof panelBodies.merge>);
    case 'deployment_status':
      return panel.deploymentStatus(body as z.output<typeof panelBodies.deployment_status>);
  }
}

async function demoBreak(deps: SandboxApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req, res, breakBody);
  if (!body) return;
  try {
    deps.demo.setBroken(body.service, body.environment, body.broken);
  } catch (error) {
    if (error instanceof DemoError) return sendError(res, 400, error.message);
    throw error;
  }
  sendJson(res, 200, { ok: true, demo: deps.demo.target(body.service, body.environment) });
}
