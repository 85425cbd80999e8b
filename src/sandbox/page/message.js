// One message (or ephemeral) with its author, time, body, reactions and replies link → HTML.
// Pure: no DOM, every string escaped.

import { renderMessageBody } from './blocks.js';
import { emojiFor } from './emoji.js';
import { escapeHtml } from './mrkdwn.js';

/**
 * @typedef {import('./mrkdwn.js').RenderContext & { bot?: { id: string, name: string } }} MessageContext
 */

/** A Slack `ts` ("1700000000.000100") as a Date. */
export function tsToDate(ts) {
  return new Date(Math.floor(Number(ts) * 1000));
}

/** "3:04 PM" in the reader's (or the given) zone. */
export function formatTime(ts, ctx = {}) {
  const date = tsToDate(ts);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat('en-US', {
    hour: 'numeric',
    minute: '2-digit',
    ...(ctx.timeZone ? { timeZone: ctx.timeZone } : {}),
  }).format(date);
}

function formatFull(ts, ctx = {}) {
  const date = tsToDate(ts);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat('en-US', {
    dateStyle: 'medium',
    timeStyle: 'medium',
    ...(ctx.timeZone ? { timeZone: ctx.timeZone } : {}),
  }).format(date);
}

/** Whether a message was posted by the app (its bot user, or any bot_id). */
export function isBotMessage(message, ctx = {}) {
  return Boolean(message?.bot_id) || (ctx.bot?.id !== undefined && message?.user === ctx.bot.id);
}

/** Who wrote a message, as a display name. */
export function authorName(message, ctx = {}) {
  if (isBotMessage(message, ctx)) return message.username ?? ctx.bot?.name ?? 'app';
  return ctx.users?.[message?.user] ?? message?.user ?? 'someone';
}

const AVATAR_COLORS = [
  '#4a154b',
  '#1264a3',
  '#2eb67d',
  '#e01e5a',
  '#ecb22e',
  '#36c5f0',
  '#7c3085',
  '#0b4c8c',
  '#b35900',
  '#3d7a3d',
];

function avatarHtml(name, key, bot) {
  let hash = 0;
  for (const c of String(key ?? name)) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const color = bot ? '#1d9bd1' : AVATAR_COLORS[hash % AVATAR_COLORS.length];
  const initial = bot ? '⚓' : escapeHtml(String(name).trim().charAt(0).toUpperCase() || '?');
  return `<div class="avatar" style="background:${color}" aria-hidden="true">${initial}</div>`;
}

function reactionsHtml(reactions, ctx) {
  if (!Array.isArray(reactions) || reactions.length === 0) return '';
  const items = reactions
    .map((r) => {
      const who = (r.users ?? []).map((u) => ctx.users?.[u] ?? u).join(', ');
      const emoji = emojiFor(r.name) ?? `:${escapeHtml(r.name)}:`;
      return `<span class="reaction" data-testid="reaction-${escapeHtml(r.name)}" title="${escapeHtml(who ? `${who} reacted with :${r.name}:` : `:${r.name}:`)}"><span class="reaction-emoji">${emoji}</span> <span class="reaction-name">${escapeHtml(r.name)}</span> <span class="reaction-count">${Number(r.count) || (r.users ?? []).length}</span></span>`;
    })
    .join('');
  return `<div class="reactions">${items}</div>`;
}

const SYSTEM_SUBTYPES = new Set([
  'channel_join',
  'channel_leave',
  'channel_topic',
  'channel_purpose',
  'channel_name',
  'channel_archive',
  'channel_unarchive',
  'group_join',
  'group_leave',
]);

/**
 * A channel or thread message.
 * @param {any} message
 * @param {MessageContext} ctx
 * @param {{ inThread?: boolean, root?: boolean }} [options] inThread: no "N replies" link (the pane shows them)
 */
export function renderMessage(message, ctx = {}, options = {}) {
  const bot = isBotMessage(message, ctx);
  const name = authorName(message, ctx);
  const classes = ['message'];
  if (bot) classes.push('from-bot');
  if (message.subtype && SYSTEM_SUBTYPES.has(message.subtype)) classes.push('system');
  if (options.root) classes.push('thread-root');
  const badge = bot ? ' <span class="app-badge">APP</span>' : '';
  const edited = message.edited ? ' <span class="edited" title="edited">(edited)</span>' : '';
  const replies =
    !options.inThread && Number(message.reply_count) > 0
      ? `<button type="button" class="replies-link" data-testid="replies" data-thread-ts="${escapeHtml(message.ts)}">${Number(message.reply_count)} ${Number(message.reply_count) === 1 ? 'reply' : 'replies'}</button>`
      : '';
  return (
    `<article class="${classes.join(' ')}" data-testid="message" data-ts="${escapeHtml(message.ts)}"${message.thread_ts ? ` data-thread-ts="${escapeHtml(message.thread_ts)}"` : ''} aria-label="${escapeHtml(`Message from ${name}`)}">` +
    avatarHtml(name, message.user ?? message.bot_id, bot) +
    `<div class="message-main"><div class="message-head"><span class="author">${escapeHtml(name)}</span>${badge}` +
    ` <time class="msg-time" datetime="${escapeHtml(tsToDate(message.ts).toISOString?.() ?? '')}" title="${escapeHtml(formatFull(message.ts, ctx))}">${escapeHtml(formatTime(message.ts, ctx))}</time>${edited}</div>` +
    `<div class="message-body">${renderMessageBody(message, ctx)}</div>` +
    reactionsHtml(message.reactions, ctx) +
    replies +
    `<div class="action-error" role="alert" hidden></div>` +
    `</div></article>`
  );
}

/** An ephemeral message: only the current user sees it. */
export function renderEphemeral(ephemeral, ctx = {}) {
  const name = ctx.bot?.name ?? 'app';
  return (
    `<article class="message ephemeral from-bot" data-testid="ephemeral" data-ts="${escapeHtml(ephemeral.ts)}" data-ephemeral="true"${ephemeral.thread_ts ? ` data-thread-ts="${escapeHtml(ephemeral.thread_ts)}"` : ''} aria-label="${escapeHtml(`Only visible to you, from ${name}`)}">` +
    avatarHtml(name, ctx.bot?.id, true) +
    `<div class="message-main"><div class="message-head"><span class="author">${escapeHtml(name)}</span> <span class="app-badge">APP</span>` +
    ` <time class="msg-time" title="${escapeHtml(formatFull(ephemeral.ts, ctx))}">${escapeHtml(formatTime(ephemeral.ts, ctx))}</time>` +
    ` <span class="only-you"><span aria-hidden="true">👁</span> Only visible to you</span></div>` +
    `<div class="message-body">${renderMessageBody(ephemeral, ctx)}</div>` +
    `<div class="action-error" role="alert" hidden></div>` +
    `</div></article>`
  );
}

/** Order two Slack `ts` strings exactly (as numbers they would lose the last microsecond digits). */
export function compareTs(a, b) {
  const [as = '0', af = ''] = String(a ?? '0').split('.');
  const [bs = '0', bf = ''] = String(b ?? '0').split('.');
  return Number(as) - Number(bs) || Number(af.padEnd(6, '0')) - Number(bf.padEnd(6, '0'));
}

/**
 * Channel messages and ephemerals interleaved by time (ephemerals after a message of the same ts).
 * @returns {Array<{ kind: 'message' | 'ephemeral', item: any }>}
 */
export function interleave(messages, ephemerals) {
  const all = [
    ...(messages ?? []).map((item) => ({ kind: 'message', item })),
    ...(ephemerals ?? []).map((item) => ({ kind: 'ephemeral', item })),
  ];
  return all
    .map((entry, index) => ({ entry, index }))
    .sort(
      (a, b) =>
        compareTs(a.entry.item.ts, b.entry.item.ts) ||
        (a.entry.kind === b.entry.kind ? a.index - b.index : a.entry.kind === 'message' ? -1 : 1),
    )
    .map(({ entry }) => entry);
}
