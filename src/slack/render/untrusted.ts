import type { KnownBlock } from '@slack/types';

/**
 * The one way text from outside tugboat (Slack users, GitHub, monitored services, alert
 * senders, receivers, config) reaches a Slack message. See README "Security".
 *
 * Slack's mrkdwn has three control characters, `&`, `<` and `>`: escaped, a value can no
 * longer form `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`, `<@U…>`, `<#C…>` or a
 * `<url|label>` link. A bare `@channel` is no mass mention for a bot that does not send
 * `link_names`, but it still gets a word joiner so no client or setting can make it one.
 * Every value is also cut to a length, so a message stays within Slack's block limits.
 */

/** Lengths for the kinds of values tugboat shows (in characters, before escaping). */
export const LIMITS = {
  /** Names, logins, refs, check names, titles. */
  name: 200,
  /** Reasons, errors, descriptions, notes. */
  sentence: 500,
  /** Script output, response bodies. */
  block: 2_500,
} as const;

const ELLIPSIS = '…';

// Control characters other than tab and newline: they can hide text or confuse clients.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;
const MASS_MENTION = /@(channel|here|everyone)\b/gi;
const WORD_JOINER = '\u2060';

/** `value` cut to `max` characters (an ellipsis marks the cut), without splitting a surrogate pair. */
export function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = Math.max(0, max - 1);
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return value.slice(0, end) + ELLIPSIS;
}

const clean = (value: unknown, max: number) => cut(String(value ?? '').replace(CONTROL, ''), max);

const escapeControlCharacters = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(MASS_MENTION, `@${WORD_JOINER}$1`);

/** Untrusted text for mrkdwn: cleaned, cut to `max`, escaped. Newlines become spaces unless `multiline`. */
export function escapeText(value: unknown, max: number = LIMITS.name, options: { multiline?: boolean } = {}): string {
  const text = clean(value, max);
  return escapeControlCharacters(options.multiline ? text : text.replace(/[\r\n\t]+/g, ' '));
}

/** Untrusted text inside `inline code`: a backtick would end the span, so it becomes a look-alike. */
export function codeText(value: unknown, max: number = LIMITS.name): string {
  return `\`${escapeText(value, max).replace(/`/g, 'ˋ') || ' '}\``;
}

/** Untrusted text in a ``` block: its own fences are defused; multi-line, escaped. */
export function codeBlock(value: unknown, max: number = LIMITS.block): string {
  return fenced(escapeText(value, max, { multiline: true }));
}

/** mrkdwn whose outside values are already escaped, in a ``` block: fences inside it are defused. */
export function fenced(mrkdwn: string): string {
  return `\`\`\`\n${mrkdwn.replace(/```/g, "'''")}\n\`\`\``;
}

/** Untrusted text for a plain_text object (button labels, headers): no escaping applies there, only cleaning and a length. */
export function plainTextOf(value: unknown, max: number): string {
  return clean(value, max).replace(/[\r\n\t]+/g, ' ');
}

/**
 * A URL from outside, fit to put inside `<…|…>`: only `http` and `https`, at most 2,000
 * characters, and with the characters that end Slack's link syntax encoded. Undefined otherwise.
 */
export function safeUrl(url: unknown): string | undefined {
  if (typeof url !== 'string' || url.length === 0 || url.length > 2_000) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  return parsed.href.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/&/g, '&amp;');
}

/** A link tugboat builds: the label escaped; a URL that is not safe leaves just the label. */
export function link(url: unknown, label: unknown, max: number = LIMITS.name): string {
  const href = safeUrl(url);
  const text = escapeText(label, max) || 'link';
  return href ? `<${href}|${text}>` : text;
}

/** Slack's limits on one message (Block Kit reference). */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3_000,
  contextElementText: 2_000,
  headerText: 150,
  buttonText: 75,
  sectionFieldText: 2_000,
  buttonValue: 2_000,
  /** `text` beside blocks: the notification and fallback. */
  fallbackText: 4_000,
  /** `text` of a message without blocks (Slack cuts longer ones). */
  messageText: 40_000,
} as const;

/** Lines of mrkdwn as few sections as hold them, each within Slack's section limit (a longer line is cut). */
export function sectionsOf(lines: string[]): KnownBlock[] {
  const texts: string[] = [];
  for (const line of lines.map((l) => cutMarkup(l, SLACK_LIMITS.sectionText))) {
    const last = texts.at(-1);
    if (last !== undefined && last.length + 1 + line.length <= SLACK_LIMITS.sectionText)
      texts[texts.length - 1] = `${last}\n${line}`;
    else texts.push(line);
  }
  return texts.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text: text || ' ' } }));
}

/**
 * `cut` for mrkdwn tugboat built: the cut never leaves half a `<…>` token or `&…;` entity behind
 * (the half is dropped with it), so what is left still reads as what tugboat meant.
 */
export function cutMarkup(text: string, max: number): string {
  if (text.length <= max) return text;
  let kept = cut(text, max).slice(0, -ELLIPSIS.length);
  const open = kept.lastIndexOf('<');
  if (open > kept.lastIndexOf('>')) kept = kept.slice(0, open);
  const entity = /&[a-z]{0,4}$/.exec(kept);
  if (entity) kept = kept.slice(0, entity.index);
  return kept + ELLIPSIS;
}

/**
 * The last guard before a message leaves: each block's text within its limit, at most 50 blocks
 * (the ones with buttons are kept, so a message that carries buttons is always posted).
 */
export function fitToSlack<M extends object>(message: M): M {
  const given = message as { text?: unknown; blocks?: unknown };
  const hasBlocks = Array.isArray(given.blocks) && given.blocks.length > 0;
  const text =
    typeof given.text === 'string'
      ? cutMarkup(given.text, hasBlocks ? SLACK_LIMITS.fallbackText : SLACK_LIMITS.messageText)
      : given.text;
  if (!Array.isArray(given.blocks)) return { ...message, text };
  return { ...message, text, blocks: fewerBlocks((given.blocks as KnownBlock[]).map(fitBlock)) };
}

/** At most 50 blocks: every `actions` block stays, the others are kept from the top, and a line says how many were left out after the last one kept. */
function fewerBlocks(blocks: KnownBlock[]): KnownBlock[] {
  if (blocks.length <= SLACK_LIMITS.blocks) return blocks;
  const actions = blocks.filter((block) => block.type === 'actions').slice(0, SLACK_LIMITS.blocks - 1);
  let room = SLACK_LIMITS.blocks - actions.length - 1;
  const kept: KnownBlock[] = [];
  for (const block of blocks) {
    if (block.type === 'actions' ? actions.includes(block) : room-- > 0) kept.push(block);
  }
  const dropped = blocks.length - kept.length;
  const notice: KnownBlock = {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `…and ${dropped} more not shown.` }],
  };
  kept.splice(kept.findLastIndex((block) => block.type !== 'actions') + 1, 0, notice);
  return kept;
}

function fitBlock(block: KnownBlock): KnownBlock {
  switch (block.type) {
    case 'section':
      return {
        ...block,
        ...(block.text ? { text: { ...block.text, text: cutMarkup(block.text.text, SLACK_LIMITS.sectionText) } } : {}),
        ...(block.fields
          ? {
              fields: block.fields
                .slice(0, 10)
                .map((field) => ({ ...field, text: cutMarkup(field.text, SLACK_LIMITS.sectionFieldText) })),
            }
          : {}),
        ...(block.accessory?.type === 'button' ? { accessory: fitButton(block.accessory) } : {}),
      };
    case 'header':
      return { ...block, text: { ...block.text, text: cut(block.text.text, SLACK_LIMITS.headerText) } };
    case 'context':
      return {
        ...block,
        elements: block.elements.map((element) =>
          'text' in element && typeof element.text === 'string'
            ? { ...element, text: cutMarkup(element.text, SLACK_LIMITS.contextElementText) }
            : element,
        ),
      };
    case 'actions':
      return {
        ...block,
        elements: block.elements.map((element) => (element.type === 'button' ? fitButton(element) : element)),
      };
    default:
      return block;
  }
}

function fitButton<B extends { text: { text: string }; value?: string }>(button: B): B {
  return { ...button, text: { ...button.text, text: cut(button.text.text, SLACK_LIMITS.buttonText) } };
}
