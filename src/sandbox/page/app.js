// The sandbox workspace page: a small Slack-like client over the sandbox server's /api.
// Rendering lives in pure modules (mrkdwn.js, blocks.js, message.js); this file owns the DOM.

import { escapeHtml } from './mrkdwn.js';
import { compareTs, interleave, renderEphemeral, renderMessage } from './message.js';

const STORAGE = { user: 'tugboat.sandbox.user', channel: 'tugboat.sandbox.channel', seen: 'tugboat.sandbox.seen' };
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const view = {
  /** @type {any} */ state: null,
  /** @type {string | null} */ user: null,
  /** @type {string | null} */ channel: null,
  /** @type {{ channel: string, ts: string } | null} */ thread: null,
  messages: /** @type {any[]} */ ([]),
  threadMessages: /** @type {any[]} */ ([]),
  ephemerals: /** @type {any[]} */ ([]),
  /** Latest ts each channel has been read up to. */
  seen: /** @type {Record<string, string>} */ (loadJson(STORAGE.seen, {})),
  /** Latest ts known per channel (for the unread dot). */
  latest: /** @type {Record<string, string>} */ ({}),
  knownChannels: /** @type {Set<string> | null} */ (null),
  /** Errors from button clicks, by message ts, shown until the message changes. */
  actionErrors: /** @type {Map<string, string>} */ (new Map()),
  history: /** @type {string[]} */ ([]),
  historyIndex: -1,
};

function loadJson(key, fallback) {
  try {
    const raw = localStorage.getItem(key);
    return raw ? JSON.parse(raw) : fallback;
  } catch {
    return fallback;
  }
}

function store(key, value) {
  try {
    localStorage.setItem(key, typeof value === 'string' ? value : JSON.stringify(value));
  } catch {
    /* private mode: remembering is a nicety */
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!response.ok) {
    const payload = await response.json().catch(() => ({}));
    const error = new Error(payload.error || `${path} answered ${response.status}`);
    /** @type {any} */ (error).status = response.status;
    throw error;
  }
  return response.json();
}

/** POST JSON; always resolves to `{ ok, error?, … }`, whatever went wrong. */
async function postJson(path, body) {
  try {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    let payload = {};
    try {
      payload = await response.json();
    } catch {
      payload = {};
    }
    if (!response.ok || payload.ok === false) {
      return {
        ...payload,
        ok: false,
        error: payload.error || payload.message || `The sandbox answered ${response.status} ${response.statusText}.`,
      };
    }
    return { ok: true, ...payload };
  } catch (error) {
    return {
      ok: false,
      error: `The sandbox server did not answer (${error instanceof Error ? error.message : String(error)}).`,
    };
  } finally {
    scheduleRefresh();
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering context: names for mentions and authors

function displayName(user) {
  return user.real_name || user.name || user.id;
}

function context() {
  const state = view.state;
  /** @type {Record<string, string>} */
  const users = {};
  /** @type {Record<string, string>} */
  const channels = {};
  for (const user of state?.users ?? []) users[user.id] = displayName(user);
  if (state?.bot) users[state.bot.id] = state.bot.name;
  for (const channel of state?.channels ?? [])
    channels[channel.id] = channel.is_im ? (users[channel.user] ?? channel.name) : channel.name;
  return { users, channels, bot: state?.bot };
}

/** The people one can act as: the config's people when the server lists them, else every non-bot user. */
function people() {
  const botId = view.state?.bot?.id;
  if (Array.isArray(view.state?.people) && view.state.people.length) return view.state.people;
  return (view.state?.users ?? []).filter((user) => user.id !== botId && !user.is_bot && !user.deleted);
}

/** A channel's topic, whether the API sends it as Slack's `{ value }` or as a string. */
function topicOf(channel) {
  const topic = channel?.topic;
  return typeof topic === 'string' ? topic : (topic?.value ?? '');
}

function channelById(id) {
  return (view.state?.channels ?? []).find((channel) => channel.id === id);
}

function channelLabel(channel, ctx = context()) {
  if (!channel) return '';
  return channel.is_im ? (ctx.users[channel.user] ?? channel.name) : channel.name;
}

// ---------------------------------------------------------------------------------------------
// Sidebar

function renderSidebar() {
  const state = view.state;
  $('team-name').textContent = state.team?.name ?? 'tugboat sandbox';
  const ctx = context();
  const channels = state.channels
    .filter((c) => !c.is_im)
    .sort((a, b) => Number(a.is_archived) - Number(b.is_archived) || a.name.localeCompare(b.name));
  const dms = state.channels
    .filter((c) => c.is_im)
    .sort((a, b) => channelLabel(a, ctx).localeCompare(channelLabel(b, ctx)));
  const item = (channel) => {
    const label = channelLabel(channel, ctx);
    const unread =
      channel.id !== view.channel &&
      view.latest[channel.id] &&
      compareTs(view.latest[channel.id], view.seen[channel.id] ?? '0') > 0;
    const classes = ['channel-item'];
    if (channel.id === view.channel) classes.push('selected');
    if (channel.is_archived) classes.push('archived');
    if (unread) classes.push('unread');
    const icon = channel.is_im ? '●' : channel.is_private ? '🔒' : '#';
    const you = channel.is_im && channel.user === view.user ? ' <span class="muted">(you)</span>' : '';
    const title = `${channel.is_im ? 'Direct message with ' : channel.is_private ? 'Private channel ' : 'Channel #'}${label}${channel.is_archived ? ' (archived)' : ''}`;
    return (
      `<li><a href="#${escapeHtml(channel.id)}" class="${classes.join(' ')}" data-channel="${escapeHtml(channel.id)}" data-testid="channel-${escapeHtml(channel.name)}"` +
      ` title="${escapeHtml(title)}"${channel.id === view.channel ? ' aria-current="page"' : ''}>` +
      `<span class="channel-icon${channel.is_im ? ' dm-icon' : ''}" aria-hidden="true">${icon}</span>` +
      `<span class="channel-name">${escapeHtml(label)}</span>${you}` +
      `${unread ? '<span class="unread-dot" aria-label="unread"></span>' : ''}</a></li>`
    );
  };
  setHtml($('channel-list'), channels.map(item).join('') || '<li class="muted small">No channels yet</li>');
  setHtml($('dm-list'), dms.map(item).join('') || '<li class="muted small">None yet</li>');
}

function renderUserSwitcher() {
  const select = /** @type {HTMLSelectElement} */ ($('user-switcher'));
  const html = people()
    .map((user) => {
      const notes = [
        user.admin ? 'admin' : '',
        Array.isArray(user.deploys_to) ? `deploys to ${user.deploys_to.join(', ') || 'nothing'}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      return `<option value="${escapeHtml(user.id)}"${user.id === view.user ? ' selected' : ''}${notes ? ` title="${escapeHtml(notes)}"` : ''}>${escapeHtml(displayName(user))}${user.admin ? ' (admin)' : ''}</option>`;
    })
    .join('');
  if (select.dataset.html !== html) {
    select.innerHTML = html;
    select.dataset.html = html;
  }
  if (view.user) select.value = view.user;
}

function chooseUser() {
  const users = people();
  const stored = localStorage.getItem(STORAGE.user);
  if (view.user && users.some((u) => u.id === view.user)) return;
  view.user = users.find((u) => u.id === stored)?.id ?? users[0]?.id ?? null;
}

function chooseChannel() {
  const channels = view.state.channels;
  if (view.channel && channels.some((c) => c.id === view.channel)) return;
  const fromHash = decodeURIComponent(location.hash.slice(1));
  const stored = localStorage.getItem(STORAGE.channel);
  const byId = (id) => channels.find((c) => c.id === id || (!c.is_im && c.name === id));
  // First visit: the production environment's channel (where deploys and locks are announced), else #general.
  const environments = view.state.environments ?? [];
  const production =
    environments.find((e) => e.name === 'production' || e.aliases?.includes('prod')) ?? environments[0];
  const first = channels.filter((c) => !c.is_im && !c.is_archived).sort((a, b) => a.name.localeCompare(b.name))[0];
  view.channel =
    (
      byId(fromHash) ??
      byId(stored) ??
      (production && byId(production.channel)) ??
      byId('general') ??
      first ??
      channels[0]
    )?.id ?? null;
}

/** Only touch the DOM when the markup changed, so focus, scroll and disabled buttons survive refreshes. */
function setHtml(element, html) {
  if (element.dataset.rendered === html) return false;
  element.innerHTML = html;
  element.dataset.rendered = html;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Messages

function renderChannelHeader() {
  const channel = channelById(view.channel);
  const ctx = context();
  if (!channel) {
    $('channel-title').textContent = 'No channel';
    $('channel-topic').textContent = '';
    return;
  }
  const prefix = channel.is_im ? '' : channel.is_private ? '🔒 ' : '#';
  $('channel-title').textContent = `${prefix}${channelLabel(channel, ctx)}${channel.is_archived ? ' (archived)' : ''}`;
  $('channel-topic').textContent =
    topicOf(channel) || (typeof channel.purpose === 'string' ? channel.purpose : (channel.purpose?.value ?? ''));
  document.title = `${prefix}${channelLabel(channel, ctx)} · tugboat sandbox`;
  updateComposerPlaceholder();
}

/** Re-render a message list, keeping the reader at the bottom if they were there, else where they were. */
function renderList(container, html, { forceBottom = false } = {}) {
  const nearBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
  const previousTop = container.scrollTop;
  const changed = setHtml(container, html);
  if (changed) applyActionErrors(container);
  if (forceBottom || (changed && nearBottom)) container.scrollTop = container.scrollHeight;
  else if (changed) container.scrollTop = previousTop;
}

function renderMessages(forceBottom = false) {
  const container = $('messages');
  container.dataset.channel = view.channel ?? '';
  const ctx = context();
  const openThread = view.thread && view.thread.channel === view.channel ? view.thread.ts : null;
  const ephemerals = view.ephemerals.filter(
    (e) => e.channel === view.channel && (!e.thread_ts || e.thread_ts === e.ts || e.thread_ts !== openThread),
  );
  const entries = interleave(view.messages, ephemerals);
  const html = entries.length
    ? entries
        .map((entry) => (entry.kind === 'message' ? renderMessage(entry.item, ctx) : renderEphemeral(entry.item, ctx)))
        .join('')
    : `<div class="empty">No messages here yet. Try <code>/tugboat help</code> below.</div>`;
  renderList(container, html, { forceBottom });
}

function renderThread(forceBottom = false) {
  const pane = $('thread');
  if (!view.thread) {
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  const container = $('thread-messages');
  container.dataset.channel = view.thread.channel;
  const ctx = context();
  $('thread-channel').textContent = `in #${channelLabel(channelById(view.thread.channel), ctx)}`;
  const [root, ...replies] = view.threadMessages;
  const ephemerals = view.ephemerals.filter(
    (e) => e.channel === view.thread.channel && e.thread_ts === view.thread.ts && e.ts !== view.thread.ts,
  );
  const rootHtml = root
    ? renderMessage(root, ctx, { inThread: true, root: true })
    : '<div class="empty">Loading…</div>';
  const count = replies.length;
  const divider = `<div class="thread-divider"><span>${count} ${count === 1 ? 'reply' : 'replies'}</span></div>`;
  const rest = interleave(replies, ephemerals)
    .map((entry) =>
      entry.kind === 'message' ? renderMessage(entry.item, ctx, { inThread: true }) : renderEphemeral(entry.item, ctx),
    )
    .join('');
  renderList(container, rootHtml + divider + rest, { forceBottom });
}

function applyActionErrors(container) {
  for (const article of container.querySelectorAll('article[data-ts]')) {
    const error = view.actionErrors.get(article.getAttribute('data-ts') ?? '');
    const slot = /** @type {HTMLElement | null} */ (article.querySelector('.action-error'));
    if (!slot) continue;
    slot.hidden = !error;
    slot.textContent = error ?? '';
  }
}

function markSeen() {
  if (!view.channel) return;
  const last = view.messages.at(-1)?.ts;
  if (last && compareTs(last, view.seen[view.channel] ?? '0') > 0) {
    view.seen[view.channel] = last;
    store(STORAGE.seen, view.seen);
  }
  if (last) view.latest[view.channel] = last;
}

// ---------------------------------------------------------------------------------------------
// Loading

async function loadChannel() {
  if (!view.channel) {
    view.messages = [];
    return;
  }
  const channel = view.channel;
  try {
    const { messages } = await getJson(`/api/channels/${encodeURIComponent(channel)}/messages`);
    if (channel === view.channel) view.messages = messages ?? [];
  } catch (error) {
    if (/** @type {any} */ (error).status !== 404) throw error;
    if (channel === view.channel) view.messages = [];
  }
}

async function loadThread() {
  if (!view.thread) {
    view.threadMessages = [];
    return;
  }
  const thread = view.thread;
  try {
    const { messages } = await getJson(
      `/api/channels/${encodeURIComponent(thread.channel)}/thread/${encodeURIComponent(thread.ts)}`,
    );
    if (view.thread === thread) view.threadMessages = messages ?? [];
  } catch (error) {
    if (/** @type {any} */ (error).status !== 404) throw error;
    // The root was deleted: nothing left to show.
    if (view.thread === thread) {
      view.thread = null;
      view.threadMessages = [];
    }
  }
}

async function loadEphemerals() {
  if (!view.user) {
    view.ephemerals = [];
    return;
  }
  const user = view.user;
  const { ephemerals } = await getJson(`/api/ephemerals?user=${encodeURIComponent(user)}`);
  if (user === view.user) view.ephemerals = ephemerals ?? [];
}

let lastUnreadCheck = 0;
let unreadTimer = 0;
/** The latest message of every other channel, for the unread dots (at most once a second). */
async function checkUnread() {
  const wait = 1000 - (Date.now() - lastUnreadCheck);
  if (wait > 0) {
    if (!unreadTimer) unreadTimer = window.setTimeout(() => ((unreadTimer = 0), checkUnread().catch(() => {})), wait);
    return;
  }
  lastUnreadCheck = Date.now();
  const others = view.state.channels.filter((c) => c.id !== view.channel && !c.is_archived);
  await Promise.all(
    others.map(async (channel) => {
      try {
        const { messages } = await getJson(`/api/channels/${encodeURIComponent(channel.id)}/messages`);
        const last = messages?.at(-1)?.ts;
        if (last) view.latest[channel.id] = last;
      } catch {
        /* the dot is a nicety */
      }
    }),
  );
  // Channels first met when the page opened start read (new ones were marked unread in refresh()).
  let changed = false;
  for (const channel of view.state.channels) {
    if (view.seen[channel.id] === undefined) {
      view.seen[channel.id] = view.latest[channel.id] ?? '0';
      changed = true;
    }
  }
  if (changed) store(STORAGE.seen, view.seen);
  renderSidebar();
}

let refreshing = false;
let refreshAgain = false;
let refreshTimer = 0;
let firstLoad = true;

function scheduleRefresh(delay = 100) {
  clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(refresh, delay);
}

async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    const state = await getJson('/api/state');
    const initial = !view.state;
    view.state = state;
    if (!view.knownChannels) view.knownChannels = new Set(initial ? state.channels.map((c) => c.id) : []);
    // A channel that appears while the page is open (an incident channel) starts unread.
    for (const channel of state.channels) {
      if (!view.knownChannels.has(channel.id)) {
        view.knownChannels.add(channel.id);
        if (view.seen[channel.id] === undefined) view.seen[channel.id] = '0';
      }
    }
    chooseUser();
    const previousChannel = view.channel;
    chooseChannel();
    renderUserSwitcher();
    renderSidebar();
    renderChannelHeader();
    renderTools();
    await Promise.all([loadChannel(), loadThread(), loadEphemerals()]);
    renderMessages(firstLoad || previousChannel !== view.channel);
    renderThread(firstLoad);
    markSeen();
    firstLoad = false;
    if (eventsOpen) setConnection('live', 'live');
    checkUnread().catch(() => {});
  } catch (error) {
    setConnection('error', `Cannot reach the sandbox: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    refreshing = false;
    if (refreshAgain) {
      refreshAgain = false;
      scheduleRefresh(0);
    }
  }
}

async function selectChannel(id, { keepThread = false } = {}) {
  if (!channelById(id)) return;
  view.channel = id;
  store(STORAGE.channel, id);
  if (location.hash !== `#${id}`) history.replaceState(null, '', `#${id}`);
  if (!keepThread && view.thread && view.thread.channel !== id) closeThread();
  view.messages = [];
  renderSidebar();
  renderChannelHeader();
  renderMessages(true);
  try {
    await loadChannel();
    renderMessages(true);
    markSeen();
    renderSidebar();
  } catch {
    scheduleRefresh();
  }
  $('composer').focus();
}

async function openThread(channel, ts) {
  view.thread = { channel, ts };
  view.threadMessages = [];
  $('thread-messages').dataset.rendered = '';
  renderThread(true);
  renderMessages();
  try {
    await loadThread();
  } catch {
    /* the next refresh tries again */
  }
  renderThread(true);
}

function closeThread() {
  view.thread = null;
  view.threadMessages = [];
  renderThread();
  renderMessages();
}

// ---------------------------------------------------------------------------------------------
// Live updates

function setConnection(kind, text) {
  const element = $('connection');
  element.className = `connection ${kind}`;
  element.textContent = text;
}

let eventsOpen = false;

function connectEvents() {
  if (!('EventSource' in window)) {
    setInterval(() => scheduleRefresh(0), 2000);
    setConnection('polling', 'polling');
    return;
  }
  const events = new EventSource('/api/events');
  events.onopen = () => {
    eventsOpen = true;
    setConnection('live', 'live');
    scheduleRefresh();
  };
  events.onerror = () => {
    eventsOpen = false;
    setConnection('error', 'reconnecting…');
  };
  events.onmessage = () => scheduleRefresh();
  // A safety net if events stop arriving for any reason.
  setInterval(() => {
    if (events.readyState !== EventSource.OPEN) scheduleRefresh(0);
  }, 5000);
}

// ---------------------------------------------------------------------------------------------
// Buttons and menus inside messages

/** The message a control sits in, and the channel of the list it is in. */
function messageOf(element) {
  const article = element.closest('article[data-ts]');
  const list = element.closest('[data-channel]');
  if (!article || !list) return null;
  return {
    article,
    ts: article.getAttribute('data-ts') ?? '',
    ephemeral: article.getAttribute('data-ephemeral') === 'true',
    channel: list.getAttribute('data-channel') ?? '',
  };
}

function confirmed(element) {
  const raw = element.getAttribute('data-confirm');
  if (!raw) return true;
  try {
    const confirm = JSON.parse(raw);
    const words = [confirm.title?.text, confirm.text?.text].filter(Boolean).join('\n\n');
    return window.confirm(words || 'Are you sure?');
  } catch {
    return true;
  }
}

async function sendAction(element, value, extra = {}) {
  const where = messageOf(element);
  if (!where || !view.user) return;
  if (!confirmed(element)) return;
  const url = element.getAttribute('data-url');
  if (url) window.open(url, '_blank', 'noopener,noreferrer');
  const body = {
    user: view.user,
    channel: where.channel,
    message_ts: where.ts,
    ephemeral: where.ephemeral,
    action_id: element.getAttribute('data-action-id') ?? '',
    block_id: element.getAttribute('data-block-id') ?? undefined,
    value,
    type: element.getAttribute('data-type') ?? undefined,
    ...extra,
  };
  /** @type {HTMLButtonElement | HTMLSelectElement} */ (element).disabled = true;
  element.setAttribute('aria-busy', 'true');
  const started = Date.now();
  const result = await postJson('/api/action', body);
  // Keep it disabled a moment, like Slack, so a double click does not fire twice.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 400 - (Date.now() - started))));
  /** @type {HTMLButtonElement | HTMLSelectElement} */ (element).disabled = false;
  element.removeAttribute('aria-busy');
  if (!result.ok && !url) view.actionErrors.set(where.ts, result.error);
  else view.actionErrors.delete(where.ts);
  const slot = /** @type {HTMLElement | null} */ (where.article.querySelector('.action-error'));
  if (slot) {
    slot.hidden = result.ok || Boolean(url);
    slot.textContent = result.ok || url ? '' : result.error;
  }
}

// The handlers below start sendAction, selectChannel, openThread, githubEvent and refresh without waiting (`void`):
// each reports its own failure on the page (postJson always resolves; the others catch), so none can reject unseen.
document.addEventListener('click', (event) => {
  const target = /** @type {HTMLElement} */ (event.target);
  const button = target.closest('button.bk-button');
  if (button) {
    event.preventDefault();
    void sendAction(button, button.getAttribute('data-value') ?? undefined);
    return;
  }
  const channelLink = target.closest('a.md-channel, a.channel-item');
  if (channelLink) {
    event.preventDefault();
    const id = channelLink.getAttribute('data-channel');
    if (id) void selectChannel(id);
    return;
  }
  const replies = target.closest('button.replies-link');
  if (replies) {
    const where = replies.closest('[data-channel]');
    void openThread(
      where?.getAttribute('data-channel') ?? view.channel ?? '',
      replies.getAttribute('data-thread-ts') ?? '',
    );
  }
});

document.addEventListener('change', (event) => {
  const select = /** @type {HTMLSelectElement} */ (event.target);
  if (!select.matches?.('select.bk-select') || !select.value) return;
  const option = select.selectedOptions[0];
  void sendAction(select, select.value, {
    selected_option: { text: { type: 'plain_text', text: option?.textContent ?? select.value }, value: select.value },
  });
  if (select.classList.contains('bk-overflow')) select.selectedIndex = 0;
});

$('thread-close').addEventListener('click', closeThread);

$('user-switcher').addEventListener('change', (event) => {
  view.user = /** @type {HTMLSelectElement} */ (event.target).value;
  store(STORAGE.user, view.user);
  view.ephemerals = [];
  defaultGithubPeople(true);
  renderSidebar();
  renderMessages();
  renderThread();
  updateComposerPlaceholder();
  scheduleRefresh(0);
});

window.addEventListener('hashchange', () => {
  const id = decodeURIComponent(location.hash.slice(1));
  const channel = (view.state?.channels ?? []).find((c) => c.id === id || (!c.is_im && c.name === id));
  if (channel && channel.id !== view.channel) void selectChannel(channel.id);
});

// ---------------------------------------------------------------------------------------------
// Composer: slash commands as the chosen person

const composer = /** @type {HTMLInputElement} */ ($('composer'));
const suggestions = $('suggestions');
let suggestionIndex = 0;
/** @type {Array<{ command: string, usage?: string }>} */
let suggested = [];

function updateComposerPlaceholder() {
  const user = people().find((u) => u.id === view.user);
  const channel = channelById(view.channel);
  const where = channel ? ` in ${channel.is_im ? '' : '#'}${channelLabel(channel)}` : '';
  composer.placeholder = user
    ? `Slash command as ${displayName(user)}${where}, e.g. /lock prod`
    : 'Type a slash command, e.g. /lock prod';
}

function commands() {
  return view.state?.commands ?? [];
}

function showSuggestions() {
  const text = composer.value;
  const hint = $('composer-hint');
  if (!text.startsWith('/')) {
    hideSuggestions();
    return;
  }
  const word = text.split(/\s/)[0].toLowerCase();
  if (/\s/.test(text)) {
    hideSuggestions();
    const command = commands().find((c) => c.command.toLowerCase() === word);
    hint.className = 'composer-hint';
    hint.textContent = command?.usage ? `Usage: ${command.usage}` : '';
    return;
  }
  suggested = commands().filter((c) => c.command.toLowerCase().startsWith(word));
  if (suggested.length === 0) {
    hideSuggestions();
    return;
  }
  suggestionIndex = Math.min(suggestionIndex, suggested.length - 1);
  suggestions.innerHTML = suggested
    .map(
      (c, i) =>
        `<li role="option" id="suggestion-${i}" data-testid="suggestion-${escapeHtml(c.command.replace(/^\//, ''))}" data-index="${i}" aria-selected="${i === suggestionIndex}" class="${i === suggestionIndex ? 'active' : ''}">` +
        `<span class="suggestion-command">${escapeHtml(c.command)}</span> <span class="suggestion-usage">${escapeHtml(c.usage ?? '')}</span>` +
        `${c.description ? `<span class="suggestion-description">${escapeHtml(c.description)}</span>` : ''}</li>`,
    )
    .join('');
  suggestions.hidden = false;
  composer.setAttribute('aria-expanded', 'true');
  composer.setAttribute('aria-activedescendant', `suggestion-${suggestionIndex}`);
}

function hideSuggestions() {
  suggestions.hidden = true;
  suggested = [];
  suggestionIndex = 0;
  composer.setAttribute('aria-expanded', 'false');
  composer.removeAttribute('aria-activedescendant');
}

function pickSuggestion(index) {
  const command = suggested[index];
  if (!command) return;
  composer.value = `${command.command} `;
  hideSuggestions();
  showSuggestions();
  composer.focus();
}

composer.addEventListener('input', () => {
  const hint = $('composer-hint');
  if (hint.className !== 'composer-hint') {
    hint.className = 'composer-hint';
    hint.setAttribute('role', 'status');
    hint.textContent = '';
  }
  suggestionIndex = 0;
  view.historyIndex = -1;
  showSuggestions();
});

composer.addEventListener('keydown', (event) => {
  if (!suggestions.hidden && suggested.length) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      suggestionIndex = (suggestionIndex + step + suggested.length) % suggested.length;
      showSuggestions();
      return;
    }
    const exact = suggested.length === 1 && suggested[0].command.toLowerCase() === composer.value.trim().toLowerCase();
    if (event.key === 'Tab' || (event.key === 'Enter' && !exact)) {
      event.preventDefault();
      pickSuggestion(suggestionIndex);
      return;
    }
    if (event.key === 'Escape') {
      event.preventDefault();
      hideSuggestions();
      return;
    }
  }
  // Up/down through what you sent, like a shell, when no suggestions are open.
  if ((event.key === 'ArrowUp' || event.key === 'ArrowDown') && suggestions.hidden && view.history.length) {
    if (event.key === 'ArrowUp' && composer.value && view.historyIndex === -1) return;
    event.preventDefault();
    const next =
      event.key === 'ArrowUp' ? Math.min(view.history.length - 1, view.historyIndex + 1) : view.historyIndex - 1;
    view.historyIndex = Math.max(-1, next);
    composer.value = view.historyIndex === -1 ? '' : view.history[view.historyIndex];
  }
});

suggestions.addEventListener('mousedown', (event) => {
  const item = /** @type {HTMLElement} */ (event.target).closest('li[data-index]');
  if (!item) return;
  event.preventDefault();
  pickSuggestion(Number(item.getAttribute('data-index')));
});

composer.addEventListener('blur', () => setTimeout(hideSuggestions, 150));

$('composer-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = composer.value.trim();
  const hint = $('composer-hint');
  if (!text) return;
  if (!text.startsWith('/')) {
    hint.className = 'composer-hint warn';
    hint.textContent = 'This sandbox sends slash commands; try /lock prod';
    return;
  }
  if (!view.user || !view.channel) {
    hint.className = 'composer-hint error';
    hint.textContent = 'Choose a person and a channel first.';
    return;
  }
  hideSuggestions();
  composer.disabled = true;
  hint.className = 'composer-hint';
  hint.textContent = `Sending ${text.split(/\s/)[0]}…`;
  const result = await postJson('/api/command', { user: view.user, channel: view.channel, text });
  composer.disabled = false;
  composer.focus();
  if (result.ok) {
    view.history.unshift(text);
    view.history = view.history.slice(0, 50);
    view.historyIndex = -1;
    composer.value = '';
    hint.textContent = '';
  } else {
    hint.className = 'composer-hint error';
    hint.setAttribute('role', 'alert');
    hint.textContent = result.error;
  }
});

// ---------------------------------------------------------------------------------------------
// Sandbox tools: production demo and GitHub

function renderTools() {
  renderDemo();
  renderGithub();
  updateComposerPlaceholder();
}

function renderDemo() {
  const entries = view.state.demo ?? [];
  const html = entries.length
    ? entries
        .map((d) => {
          const id = `break-${d.service}-${d.environment}`;
          const sha = d.sha ? String(d.sha).slice(0, 7) : 'nothing yet';
          return (
            `<div class="demo-row${d.broken ? ' broken' : ''}" data-testid="demo-${escapeHtml(d.service)}-${escapeHtml(d.environment)}">` +
            `<div><div><strong>${escapeHtml(d.service)}</strong> · ${escapeHtml(d.environment)}</div>` +
            `<div class="small">serves <code>${escapeHtml(sha)}</code> · ${d.broken ? '<span class="bad"><span class="status-dot"></span>broken</span>' : '<span class="good"><span class="status-dot"></span>healthy</span>'}</div></div>` +
            `<button type="button" class="${d.broken ? 'primary' : 'danger'}" data-testid="${escapeHtml(id)}" data-demo-service="${escapeHtml(d.service)}" data-demo-environment="${escapeHtml(d.environment)}" data-broken="${d.broken ? 'true' : 'false'}" aria-pressed="${d.broken ? 'true' : 'false'}">` +
            `${d.broken ? 'Fix' : `Break ${escapeHtml(d.environment)}`}</button></div>`
          );
        })
        .join('')
    : '<p class="muted small">No demo services in this config.</p>';
  setHtml($('demo-list'), html);
}

$('demo-list').addEventListener('click', async (event) => {
  const button = /** @type {HTMLButtonElement | null} */ (
    /** @type {HTMLElement} */ (event.target).closest('button[data-demo-service]')
  );
  if (!button) return;
  const service = button.getAttribute('data-demo-service');
  const environment = button.getAttribute('data-demo-environment');
  const broken = button.getAttribute('data-broken') !== 'true';
  button.disabled = true;
  const result = await postJson('/api/demo/break', { service, environment, broken });
  button.disabled = false;
  // On success the card itself shows what serves and whether it is broken; a sentence here would outlive it.
  showResult($('demo-result'), result, '');
});

function showResult(element, result, success) {
  element.className = `result ${result.ok ? 'ok' : 'error'}`;
  element.setAttribute('role', result.ok ? 'status' : 'alert');
  element.textContent = result.ok ? success : result.error;
}

const gh = {
  repo: /** @type {HTMLSelectElement} */ ($('gh-repo')),
  author: /** @type {HTMLSelectElement} */ ($('gh-author')),
  title: /** @type {HTMLInputElement} */ ($('gh-title')),
  pr: /** @type {HTMLSelectElement} */ ($('gh-pr')),
  reviewer: /** @type {HTMLSelectElement} */ ($('gh-reviewer')),
  commentAuthor: /** @type {HTMLSelectElement} */ ($('gh-comment-author')),
  body: /** @type {HTMLTextAreaElement} */ ($('gh-comment-body')),
  result: $('gh-result'),
};

/** Replace a select's options only when they changed, keeping the choice when it still exists. */
function setOptions(select, options, preferred) {
  const html = options.map((o) => `<option value="${escapeHtml(o.value)}">${escapeHtml(o.label)}</option>`).join('');
  const previous = select.value;
  if (select.dataset.html !== html) {
    select.innerHTML = html;
    select.dataset.html = html;
  }
  const values = options.map((o) => o.value);
  if (preferred !== undefined && values.includes(preferred)) select.value = preferred;
  else if (values.includes(previous)) select.value = previous;
  else if (values.length) select.value = values[0];
}

function loginOptions() {
  const ctx = context();
  return (view.state.github?.logins ?? []).map((l) => ({
    value: l.login,
    label: l.slackUser && ctx.users[l.slackUser] ? `${l.login} (${ctx.users[l.slackUser]})` : l.login,
  }));
}

function loginOf(userId) {
  return (view.state?.github?.logins ?? []).find((l) => l.slackUser === userId)?.login;
}

function currentRepo() {
  return (view.state.github?.repos ?? []).find((r) => r.fullName === gh.repo.value);
}

/** Author defaults to the login of the person you are; reviewer to someone else. */
function defaultGithubPeople(force = false) {
  if (!view.state) return;
  const me = loginOf(view.user);
  const logins = (view.state.github?.logins ?? []).map((l) => l.login);
  if (me && (force || !gh.author.dataset.touched)) gh.author.value = me;
  if (me && (force || !gh.commentAuthor.dataset.touched)) gh.commentAuthor.value = me;
  if (force || !gh.reviewer.dataset.touched) {
    const author = selectedPr()?.author ?? gh.author.value;
    const other = logins.find((l) => l !== author);
    if (other) gh.reviewer.value = other;
  }
}

let preferredPr = /** @type {string | undefined} */ (undefined);

function renderGithub() {
  const github = view.state.github ?? { repos: [], logins: [] };
  setOptions(
    gh.repo,
    github.repos.map((r) => ({ value: r.fullName, label: r.fullName })),
  );
  const logins = loginOptions();
  setOptions(gh.author, logins);
  setOptions(gh.reviewer, logins);
  setOptions(gh.commentAuthor, logins);
  renderPrOptions();
  defaultGithubPeople();
  renderDeployments();
  updateGithubButtons();
}

function renderPrOptions() {
  const prs = [...(currentRepo()?.prs ?? [])].sort((a, b) => b.number - a.number);
  setOptions(
    gh.pr,
    prs.map((p) => ({
      value: String(p.number),
      label: `#${p.number} ${p.title} (${p.author}${p.state && p.state !== 'open' ? `, ${p.state}` : ''})`,
    })),
    preferredPr,
  );
  if (preferredPr && gh.pr.value === preferredPr) preferredPr = undefined;
}

function selectedPr() {
  return currentRepo()?.prs?.find((p) => String(p.number) === gh.pr.value);
}

/** State, reviewers asked and reviews given of the chosen PR. */
function renderPrInfo() {
  const pr = selectedPr();
  if (!pr) {
    setHtml($('gh-pr-info'), currentRepo() ? 'No pull requests yet: open one above.' : '');
    return;
  }
  const state = pr.draft && pr.state === 'open' ? 'draft' : (pr.state ?? 'open');
  const parts = [`<span class="pr-state ${escapeHtml(state)}">${escapeHtml(state)}</span> by ${escapeHtml(pr.author)}`];
  if (pr.requested_reviewers?.length)
    parts.push(`review asked of ${pr.requested_reviewers.map((r) => escapeHtml(r)).join(', ')}`);
  if (pr.reviews?.length)
    parts.push(
      pr.reviews
        .map(
          (r) =>
            `${escapeHtml(r.reviewer)} ${r.state === 'approved' ? '✅ approved' : r.state === 'changes_requested' ? '❌ requested changes' : escapeHtml(String(r.state).toLowerCase())}`,
        )
        .join(', '),
    );
  setHtml($('gh-pr-info'), parts.join(' · '));
}

function updateGithubButtons() {
  renderPrInfo();
  const noPr = !gh.pr.value;
  for (const id of [
    'gh-request-review',
    'gh-approve',
    'gh-request-changes',
    'gh-comment',
    'gh-merge',
    'gh-fill-ready',
    'gh-fill-resolved',
  ]) {
    /** @type {HTMLButtonElement} */ ($(id)).disabled = noPr;
  }
  $('gh-fill-ready').textContent = `ready for review @${gh.reviewer.value || '…'}`;
  /** @type {HTMLButtonElement} */ ($('gh-open-pr')).disabled = !gh.repo.value || !gh.author.value;
}

function renderDeployments() {
  const deployments = view.state.github?.deployments ?? [];
  const html = deployments.length
    ? deployments
        .map(
          (d) =>
            `<div class="deployment-row" data-testid="gh-deployment-${escapeHtml(String(d.id))}"><div class="small"><strong>${escapeHtml(d.repo)}</strong> → ${escapeHtml(d.environment)} <code>${escapeHtml(String(d.sha ?? '').slice(0, 7))}</code></div>` +
            `<div class="button-row"><button type="button" class="primary" data-deployment="${escapeHtml(String(d.id))}" data-state="success" data-testid="gh-deployment-success-${escapeHtml(String(d.id))}">Success</button>` +
            `<button type="button" class="danger" data-deployment="${escapeHtml(String(d.id))}" data-state="failure" data-testid="gh-deployment-failure-${escapeHtml(String(d.id))}">Failure</button></div></div>`,
        )
        .join('')
    : '<p class="muted small">None waiting. Deploys whose executor is <code>github-deployment</code> wait here for their outcome.</p>';
  setHtml($('gh-deployments'), html);
}

async function githubEvent(event, body, button, describe) {
  if (button) button.disabled = true;
  const result = await postJson(`/api/github/${event}`, body);
  if (button) button.disabled = false;
  showResult(gh.result, result, result.ok ? describe(result) : '');
  return result;
}

gh.repo.addEventListener('change', () => {
  renderPrOptions();
  defaultGithubPeople();
  updateGithubButtons();
});
gh.pr.addEventListener('change', () => {
  if (!gh.reviewer.dataset.touched) defaultGithubPeople();
  updateGithubButtons();
});
for (const select of [gh.author, gh.reviewer, gh.commentAuthor]) {
  select.addEventListener('change', () => {
    select.dataset.touched = 'true';
    updateGithubButtons();
  });
}

$('gh-open-pr').addEventListener('click', async (event) => {
  const repo = gh.repo.value;
  const title = gh.title.value.trim() || 'A change';
  const result = await githubEvent(
    'open_pr',
    { repo, author: gh.author.value, title },
    /** @type {HTMLButtonElement} */ (event.currentTarget),
    (r) => `Opened ${repo}#${r.number}: ${title}.`,
  );
  if (result.ok && result.number !== undefined) {
    preferredPr = String(result.number);
    gh.reviewer.dataset.touched = '';
    await refresh();
  }
});

const prBody = () => ({ repo: gh.repo.value, number: Number(gh.pr.value) });

$('gh-request-review').addEventListener('click', (event) =>
  githubEvent(
    'request_review',
    { ...prBody(), reviewer: gh.reviewer.value },
    /** @type {HTMLButtonElement} */ (event.currentTarget),
    () => `Asked ${gh.reviewer.value} to review #${gh.pr.value}.`,
  ),
);
$('gh-approve').addEventListener('click', (event) =>
  githubEvent(
    'review',
    { ...prBody(), reviewer: gh.reviewer.value, state: 'approved' },
    /** @type {HTMLButtonElement} */ (event.currentTarget),
    () => `${gh.reviewer.value} approved #${gh.pr.value}.`,
  ),
);
$('gh-request-changes').addEventListener('click', (event) =>
  githubEvent(
    'review',
    { ...prBody(), reviewer: gh.reviewer.value, state: 'changes_requested' },
    /** @type {HTMLButtonElement} */ (event.currentTarget),
    () => `${gh.reviewer.value} requested changes on #${gh.pr.value}.`,
  ),
);
$('gh-comment').addEventListener('click', async (event) => {
  const body = gh.body.value.trim();
  if (!body) {
    showResult(gh.result, { ok: false, error: 'Write a comment first (or use a quick fill).' }, '');
    return;
  }
  const result = await githubEvent(
    'comment',
    { ...prBody(), author: gh.commentAuthor.value, body },
    /** @type {HTMLButtonElement} */ (event.currentTarget),
    () => `${gh.commentAuthor.value} commented on #${gh.pr.value}.`,
  );
  if (result.ok) gh.body.value = '';
});
$('gh-fill-ready').addEventListener('click', () => {
  gh.body.value = `ready for review @${gh.reviewer.value}`;
  const author = selectedPr()?.author;
  if (author) gh.commentAuthor.value = author;
  gh.body.focus();
});
$('gh-fill-resolved').addEventListener('click', () => {
  gh.body.value = 'resolved';
  const author = selectedPr()?.author;
  if (author) gh.commentAuthor.value = author;
  gh.body.focus();
});
$('gh-merge').addEventListener('click', (event) =>
  githubEvent(
    'merge',
    prBody(),
    /** @type {HTMLButtonElement} */ (event.currentTarget),
    () => `Merged #${gh.pr.value}.`,
  ),
);
$('gh-deployments').addEventListener('click', (event) => {
  const button = /** @type {HTMLButtonElement | null} */ (
    /** @type {HTMLElement} */ (event.target).closest('button[data-deployment]')
  );
  if (!button) return;
  const id = Number(button.getAttribute('data-deployment'));
  const state = button.getAttribute('data-state');
  void githubEvent(
    'deployment_status',
    { deployment_id: id, state },
    button,
    () => `Deployment ${id} reported ${state}.`,
  );
});

// ---------------------------------------------------------------------------------------------

void refresh().then(() => {
  connectEvents();
  composer.focus();
});
