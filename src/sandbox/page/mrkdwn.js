// Slack mrkdwn → HTML, as a pure function (no DOM), so node tests can import it.
//
// Safety: every piece of input text is HTML-escaped before it reaches the output.
// Slack sends `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`; those three are decoded
// and then escaped again, so an encoded `&lt;script&gt;` shows as text, never as markup.
// Raw `<…>` are Slack's control sequences (links, mentions, dates), rendered by `token`.

import { emojiFor } from './emoji.js';

/**
 * @typedef {object} RenderContext
 * @property {Record<string, string>} [users]    user ID → display name
 * @property {Record<string, string>} [channels] channel ID → channel name
 * @property {Date} [now]                        for `<!date…>` "today"/"ago"
 * @property {string} [timeZone]                 IANA zone for dates (default: the browser's)
 */

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML content and quoted attribute values. */
export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Undo Slack's own escaping of `&`, `<` and `>` (in one pass, so `&amp;lt;` stays `&lt;`). */
export function decodeEntities(value) {
  return String(value ?? '').replace(/&(amp|lt|gt);/g, (_, name) => ({ amp: '&', lt: '<', gt: '>' })[name]);
}

/**
 * Replace `:name:` with an emoji where the name is known; unknown names stay as text.
 * Works on text that is already escaped (names are `[a-z0-9_+-]`, nothing HTML cares about).
 */
export function replaceEmoji(text) {
  const pattern = /:([a-z0-9_+-]+):/g;
  let out = '';
  let last = 0;
  let match;
  while ((match = pattern.exec(text))) {
    const name = match[1];
    const emoji = name.startsWith('skin-tone-') ? '' : emojiFor(name);
    if (emoji === undefined) {
      // Not an emoji: let its closing colon open the next candidate (`:10:rocket:`).
      pattern.lastIndex = match.index + match[0].length - 1;
      continue;
    }
    out += text.slice(last, match.index) + emoji;
    last = match.index + match[0].length;
  }
  return out + text.slice(last);
}

/** A plain_text object's text: escaped, with emoji unless `emoji: false`. */
export function plainText(text, emoji = true) {
  const escaped = escapeHtml(text);
  return emoji ? replaceEmoji(escaped) : escaped;
}

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

/** An href we are willing to put in a link: http(s) or mailto, else undefined. */
export function safeUrl(url) {
  const trimmed = String(url ?? '').trim();
  return SAFE_URL.test(trimmed) ? trimmed : undefined;
}

/** An external link that opens in a new tab. `label` is HTML already escaped. */
export function linkHtml(url, labelHtml) {
  return `<a class="md-link" href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${labelHtml}</a>`;
}

export function userMentionHtml(id, ctx, label) {
  const name = ctx?.users?.[id] ?? label ?? id;
  return `<span class="md-mention" data-user="${escapeHtml(id)}">@${escapeHtml(String(name).replace(/^@/, ''))}</span>`;
}

export function channelMentionHtml(id, ctx, label) {
  const name = ctx?.channels?.[id] ?? label ?? id;
  return `<a href="#" class="md-channel" data-channel="${escapeHtml(id)}">#${escapeHtml(String(name).replace(/^#/, ''))}</a>`;
}

const ORDINAL = (n) => {
  const s = ['th', 'st', 'nd', 'rd'];
  const v = n % 100;
  return n + (s[(v - 20) % 10] || s[v] || s[0]);
};

/** Slack's `<!date^unix^format|fallback>` tokens, formatted in the reader's zone. */
export function formatSlackDate(unix, format, ctx) {
  const date = new Date(unix * 1000);
  if (Number.isNaN(date.getTime())) return undefined;
  const zone = ctx?.timeZone ? { timeZone: ctx.timeZone } : {};
  const part = (options) => new Intl.DateTimeFormat('en-US', { ...zone, ...options }).format(date);
  const dayKey = (d) =>
    new Intl.DateTimeFormat('en-CA', { ...zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  const now = ctx?.now ?? new Date();
  const pretty = (fallback) => {
    const key = dayKey(date);
    if (key === dayKey(now)) return 'today';
    if (key === dayKey(new Date(now.getTime() - 86_400_000))) return 'yesterday';
    if (key === dayKey(new Date(now.getTime() + 86_400_000))) return 'tomorrow';
    return fallback();
  };
  const day = Number(part({ day: 'numeric' }));
  const dateLong = () => `${part({ month: 'long' })} ${ORDINAL(day)}, ${part({ year: 'numeric' })}`;
  const dateShort = () => part({ month: 'short', day: 'numeric', year: 'numeric' });
  const dateFull = () => `${part({ weekday: 'long' })}, ${dateLong()}`;
  const ago = () => {
    const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
    const abs = Math.abs(seconds);
    const [n, unit] =
      abs < 60
        ? [abs, 'second']
        : abs < 3600
          ? [Math.round(abs / 60), 'minute']
          : abs < 86_400
            ? [Math.round(abs / 3600), 'hour']
            : [Math.round(abs / 86_400), 'day'];
    const words = `${n} ${unit}${n === 1 ? '' : 's'}`;
    return seconds >= 0 ? `${words} ago` : `in ${words}`;
  };
  const tokens = {
    date_num: () => dayKey(date),
    date: dateLong,
    date_short: dateShort,
    date_long: dateFull,
    date_pretty: () => pretty(dateLong),
    date_short_pretty: () => pretty(dateShort),
    date_long_pretty: () => pretty(dateFull),
    time: () => part({ hour: 'numeric', minute: '2-digit' }),
    time_secs: () => part({ hour: 'numeric', minute: '2-digit', second: '2-digit' }),
    ago,
  };
  return String(format).replace(/\{(\w+)\}/g, (whole, name) => (tokens[name] ? tokens[name]() : whole));
}

/** One `<…>` control sequence (its inside, still Slack-escaped) → HTML. */
function token(inner, ctx) {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : decodeEntities(inner.slice(bar + 1));
  if (/^@[UWB][A-Z0-9]+$/.test(target)) return userMentionHtml(target.slice(1), ctx, label);
  if (/^#[CGD][A-Z0-9]+$/.test(target)) return channelMentionHtml(target.slice(1), ctx, label);
  if (target.startsWith('!')) {
    const [command, ...rest] = target.slice(1).split('^');
    if (['here', 'channel', 'everyone'].includes(command)) {
      return `<span class="md-mention md-broadcast">@${command}</span>`;
    }
    if (command === 'subteam') return `<span class="md-mention">${escapeHtml(label ?? '@group')}</span>`;
    if (command === 'date') {
      const unix = Number(rest[0]);
      const text = formatSlackDate(unix, decodeEntities(rest[1] ?? '{date_short} {time}'), ctx);
      if (text === undefined) return escapeHtml(label ?? '');
      const iso = new Date(unix * 1000).toISOString();
      return `<time class="md-date" datetime="${iso}" title="${escapeHtml(label ?? iso)}">${escapeHtml(text)}</time>`;
    }
    return escapeHtml(label ?? `<${decodeEntities(inner)}>`);
  }
  const url = safeUrl(decodeEntities(target));
  if (url) {
    const text = label ?? (url.toLowerCase().startsWith('mailto:') ? url.slice(7) : url);
    return linkHtml(url, escapeHtml(text));
  }
  // Something we do not understand (or a scheme we will not link): show its words only.
  return escapeHtml(label ?? decodeEntities(target));
}

const WORD = '[\\p{L}\\p{N}_]';
/** `marker` spans: opened at a word's start, closed at a word's end, on one line. */
function emphasis(text, marker, tag) {
  const m = marker === '*' ? '\\*' : marker;
  const pattern = new RegExp(`(?<!${WORD}|${m})${m}(?![\\s${m}])([^${m}\\n]*?[^\\s${m}])${m}(?!${WORD}|${m})`, 'gu');
  return text.replace(pattern, `<${tag}>$1</${tag}>`);
}

/** Lines starting with `>` (escaped by now as `&gt;`) become one blockquote per run. */
function quotes(lines) {
  const out = [];
  let quote = null;
  for (const line of lines) {
    const match = /^&gt;\s?(.*)$/.exec(line);
    if (match) {
      (quote ??= []).push(match[1]);
      continue;
    }
    if (quote) {
      out.push(`<blockquote class="md-quote">${quote.join('<br>')}</blockquote>`);
      quote = null;
    }
    out.push(line);
  }
  if (quote) out.push(`<blockquote class="md-quote">${quote.join('<br>')}</blockquote>`);
  // Join with <br>, except around a blockquote, which breaks the line by itself.
  let html = '';
  out.forEach((piece, i) => {
    if (i > 0 && !piece.startsWith('<blockquote') && !out[i - 1].startsWith('<blockquote')) html += '<br>';
    html += piece;
  });
  return html;
}

// Placeholders for pieces already rendered: private-use characters that input cannot carry
// (they are stripped from it first), so nothing in the text can forge one.
const OPEN = '\uE000';
const CLOSE = '\uE001';

/**
 * Slack mrkdwn → safe HTML.
 * @param {string} text
 * @param {RenderContext} [ctx]
 * @returns {string}
 */
export function mrkdwn(text, ctx = {}) {
  /** @type {string[]} */
  const slots = [];
  const hold = (html) => `${OPEN}${slots.push(html) - 1}${CLOSE}`;
  let s = String(text ?? '').replace(/[\uE000\uE001]/g, '');

  // ```pre``` blocks: kept verbatim (no formatting, no links); the block breaks lines itself.
  s = s.replace(/\n?```\n?([\s\S]*?)\n?```\n?/g, (_, body) =>
    hold(`<pre class="md-pre">${escapeHtml(decodeEntities(body))}</pre>`),
  );
  // `code`
  s = s.replace(/`([^`\n]+)`/g, (_, body) => hold(`<code class="md-code">${escapeHtml(decodeEntities(body))}</code>`));
  // <links>, <@mentions>, <#channels>, <!special>
  s = s.replace(/<([^<>\n]+)>/g, (_, inner) => hold(token(inner, ctx)));

  // What is left is plain text: decode Slack's escapes, escape for HTML, then format.
  s = escapeHtml(decodeEntities(s));
  s = replaceEmoji(s);
  s = emphasis(s, '*', 'strong');
  s = emphasis(s, '_', 'em');
  s = emphasis(s, '~', 'del');
  s = quotes(s.split('\n'));

  return s.replace(new RegExp(`${OPEN}(\\d+)${CLOSE}`, 'g'), (_, i) => slots[Number(i)]);
}

/** mrkdwn → plain words (for previews and accessible labels): tokens resolved, no markup. */
export function mrkdwnToPlain(text, ctx = {}) {
  return decodeEntities(
    String(text ?? '').replace(/<([^<>\n]+)>/g, (_, inner) => {
      const bar = inner.indexOf('|');
      const target = bar === -1 ? inner : inner.slice(0, bar);
      const label = bar === -1 ? undefined : inner.slice(bar + 1);
      if (target.startsWith('@')) return `@${ctx.users?.[target.slice(1)] ?? label ?? target.slice(1)}`;
      if (target.startsWith('#')) return `#${ctx.channels?.[target.slice(1)] ?? label ?? target.slice(1)}`;
      if (target.startsWith('!')) return label ?? `@${target.slice(1).split('^')[0]}`;
      return label ?? target;
    }),
  );
}
