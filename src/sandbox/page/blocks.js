// Block Kit and legacy attachments → HTML, as pure functions (no DOM).
// Every string from a message goes through mrkdwn(), plainText() or escapeHtml().

import {
  channelMentionHtml,
  escapeHtml,
  formatSlackDate,
  linkHtml,
  mrkdwn,
  plainText,
  safeUrl,
  userMentionHtml,
} from './mrkdwn.js';
import { emojiFor } from './emoji.js';

/** @typedef {import('./mrkdwn.js').RenderContext} RenderContext */

/** A text object (`mrkdwn` or `plain_text`) → HTML. */
export function textObject(text, ctx) {
  if (!text) return '';
  if (typeof text === 'string') return mrkdwn(text, ctx);
  if (text.type === 'plain_text') return plainText(text.text, text.emoji !== false);
  return mrkdwn(text.text, ctx);
}

/** A `data-` attribute, or nothing when the value is absent. */
function data(name, value) {
  return value === undefined || value === null
    ? ''
    : ` data-${name}="${escapeHtml(typeof value === 'string' ? value : JSON.stringify(value))}"`;
}

/** What a click on an interactive element needs to build the action payload. */
function actionAttributes(element, blockId) {
  return [
    data('action-id', element.action_id),
    data('block-id', blockId),
    data('type', element.type),
    data('confirm', element.confirm),
  ].join('');
}

const testId = (prefix, actionId) => ` data-testid="${escapeHtml(`${prefix}-${actionId ?? 'unnamed'}`)}"`;

/** A button element. `url` buttons open the link (the click is still reported to the app). */
export function buttonHtml(element, blockId, ctx) {
  const style = element.style === 'primary' || element.style === 'danger' ? ` bk-${element.style}` : '';
  const url = safeUrl(element.url);
  const label = textObject(element.text, ctx);
  const aria = element.accessibility_label ? ` aria-label="${escapeHtml(element.accessibility_label)}"` : '';
  return (
    `<button type="button" class="bk-button${style}${url ? ' bk-url' : ''}"${testId('button', element.action_id)}` +
    `${actionAttributes(element, blockId)}${data('value', element.value)}${data('url', url)}${aria}>` +
    `${label}${url ? ' <span class="bk-external" aria-hidden="true">↗</span>' : ''}</button>`
  );
}

function optionsHtml(options, selected) {
  return (options ?? [])
    .map((option) => {
      const isSelected = selected && selected.value === option.value ? ' selected' : '';
      return `<option value="${escapeHtml(option.value)}"${isSelected}>${escapeHtml(option.text?.text ?? option.value)}</option>`;
    })
    .join('');
}

/** static_select (options or option_groups) → a native <select>; a choice reports an action. */
export function selectHtml(element, blockId, _ctx) {
  const placeholder = element.placeholder?.text ?? 'Select an option';
  const groups = element.option_groups
    ? element.option_groups
        .map(
          (group) =>
            `<optgroup label="${escapeHtml(group.label?.text ?? '')}">${optionsHtml(group.options, element.initial_option)}</optgroup>`,
        )
        .join('')
    : optionsHtml(element.options, element.initial_option);
  const chosen = element.initial_option ? '' : ' selected';
  return (
    `<select class="bk-select"${testId('select', element.action_id)}${actionAttributes(element, blockId)} aria-label="${escapeHtml(placeholder)}">` +
    `<option value="" disabled${chosen}>${escapeHtml(placeholder)}</option>${groups}</select>`
  );
}

/** overflow → a small ⋯ menu as a native <select>. */
export function overflowHtml(element, blockId) {
  return (
    `<select class="bk-select bk-overflow"${testId('overflow', element.action_id)}${actionAttributes(element, blockId)} aria-label="More actions">` +
    `<option value="" selected disabled>⋯</option>${optionsHtml(element.options)}</select>`
  );
}

function imageHtml(element, className) {
  const src = safeUrl(element.image_url);
  if (!src || src.toLowerCase().startsWith('mailto:'))
    return `<span class="${className} bk-missing-image">${escapeHtml(element.alt_text ?? '')}</span>`;
  return `<img class="${className}" src="${escapeHtml(src)}" alt="${escapeHtml(element.alt_text ?? '')}" loading="lazy">`;
}

/** Any element that can sit in an actions block or a section's accessory. */
export function elementHtml(element, blockId, ctx) {
  switch (element?.type) {
    case 'button':
      return buttonHtml(element, blockId, ctx);
    case 'static_select':
      return selectHtml(element, blockId, ctx);
    case 'overflow':
      return overflowHtml(element, blockId);
    case 'image':
      return imageHtml(element, 'bk-accessory-image');
    default: {
      const label = element?.placeholder?.text ?? element?.type ?? 'element';
      return `<span class="bk-unsupported" title="Not supported in the sandbox">[${escapeHtml(label)}]</span>`;
    }
  }
}

// rich_text: what Slack's own composer sends. Rendered from its elements.
function richInline(element, ctx) {
  switch (element?.type) {
    case 'text': {
      let html = escapeHtml(element.text).replace(/\n/g, '<br>');
      const style = element.style ?? {};
      if (style.code) html = `<code class="md-code">${html}</code>`;
      if (style.bold) html = `<strong>${html}</strong>`;
      if (style.italic) html = `<em>${html}</em>`;
      if (style.strike) html = `<del>${html}</del>`;
      return html;
    }
    case 'link': {
      const url = safeUrl(element.url);
      const label = escapeHtml(element.text ?? element.url);
      return url ? linkHtml(url, label) : label;
    }
    case 'user':
      return userMentionHtml(element.user_id, ctx);
    case 'channel':
      return channelMentionHtml(element.channel_id, ctx);
    case 'usergroup':
      return `<span class="md-mention">@${escapeHtml(element.usergroup_id)}</span>`;
    case 'broadcast':
      return `<span class="md-mention md-broadcast">@${escapeHtml(element.range)}</span>`;
    case 'emoji':
      return (
        emojiFor(element.name) ??
        (element.unicode
          ? escapeHtml(String.fromCodePoint(...element.unicode.split('-').map((h) => parseInt(h, 16))))
          : `:${escapeHtml(element.name)}:`)
      );
    case 'date':
      return escapeHtml(
        formatSlackDate(element.timestamp, element.format ?? '{date_short} {time}', ctx) ?? element.fallback ?? '',
      );
    default:
      return '';
  }
}

function richInlines(elements, ctx) {
  return (elements ?? []).map((element) => richInline(element, ctx)).join('');
}

function richBlock(element, ctx) {
  switch (element?.type) {
    case 'rich_text_section':
      return `<div class="rt-section">${richInlines(element.elements, ctx)}</div>`;
    case 'rich_text_preformatted':
      return `<pre class="md-pre">${(element.elements ?? []).map((e) => (e.type === 'text' ? escapeHtml(e.text) : richInline(e, ctx))).join('')}</pre>`;
    case 'rich_text_quote':
      return `<blockquote class="md-quote">${richInlines(element.elements, ctx)}</blockquote>`;
    case 'rich_text_list': {
      const tag = element.style === 'ordered' ? 'ol' : 'ul';
      return `<${tag} class="rt-list">${(element.elements ?? []).map((item) => `<li>${richInlines(item.elements, ctx)}</li>`).join('')}</${tag}>`;
    }
    default:
      return '';
  }
}

/** One block → HTML ('' for a block this page cannot show). */
export function blockHtml(block, ctx) {
  const id = block?.block_id;
  switch (block?.type) {
    case 'section': {
      const text = block.text ? `<div class="bk-text">${textObject(block.text, ctx)}</div>` : '';
      const fields = block.fields?.length
        ? `<div class="bk-fields">${block.fields.map((field) => `<div class="bk-field">${textObject(field, ctx)}</div>`).join('')}</div>`
        : '';
      const accessory = block.accessory
        ? `<div class="bk-accessory">${elementHtml(block.accessory, id, ctx)}</div>`
        : '';
      return `<div class="bk-block bk-section"${data('block-id', id)}><div class="bk-section-main">${text}${fields}</div>${accessory}</div>`;
    }
    case 'context': {
      const elements = (block.elements ?? [])
        .map((element) =>
          element.type === 'image'
            ? imageHtml(element, 'bk-context-image')
            : `<span class="bk-context-text">${textObject(element, ctx)}</span>`,
        )
        .join('');
      return `<div class="bk-block bk-context"${data('block-id', id)}>${elements}</div>`;
    }
    case 'divider':
      return '<hr class="bk-block bk-divider">';
    case 'header':
      return `<div class="bk-block bk-header" role="heading" aria-level="3">${textObject(block.text, ctx)}</div>`;
    case 'actions': {
      const elements = (block.elements ?? []).map((element) => elementHtml(element, id, ctx)).join('');
      return `<div class="bk-block bk-actions" role="group"${data('block-id', id)}>${elements}</div>`;
    }
    case 'image': {
      const title = block.title ? `<figcaption>${textObject(block.title, ctx)}</figcaption>` : '';
      return `<figure class="bk-block bk-image">${title}${imageHtml(block, 'bk-image-img')}</figure>`;
    }
    case 'rich_text':
      return `<div class="bk-block bk-rich-text">${(block.elements ?? []).map((element) => richBlock(element, ctx)).join('')}</div>`;
    case 'input': {
      const label = block.label ? textObject(block.label, ctx) : '';
      return `<div class="bk-block bk-input"><label>${label}</label> <span class="bk-unsupported">[inputs are not supported in the sandbox]</span></div>`;
    }
    default:
      return '';
  }
}

/**
 * A list of blocks → HTML. When none of them can be shown, the fallback text (mrkdwn) is.
 * @param {unknown[]} blocks
 * @param {RenderContext} ctx
 * @param {string} [fallbackText]
 */
export function renderBlocks(blocks, ctx = {}, fallbackText) {
  const html = (blocks ?? []).map((block) => blockHtml(block, ctx)).join('');
  if (html.replace(/<hr class="bk-block bk-divider">/g, '') === '' && fallbackText)
    return `<div class="bk-text">${mrkdwn(fallbackText, ctx)}</div>`;
  return `<div class="bk-blocks">${html}</div>`;
}

const NAMED_COLORS = { good: '#2eb67d', warning: '#ecb22e', danger: '#e01e5a' };

/** An attachment's colour as a safe CSS colour, or undefined. */
export function attachmentColor(color) {
  if (typeof color !== 'string') return undefined;
  if (NAMED_COLORS[color]) return NAMED_COLORS[color];
  const hex = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
  return hex ? `#${hex[1]}` : undefined;
}

/** Legacy attachments: a coloured bar, then pretext/title/text/fields/blocks/footer. */
export function renderAttachments(attachments, ctx = {}) {
  if (!Array.isArray(attachments) || attachments.length === 0) return '';
  return attachments
    .map((a) => {
      if (!a || typeof a !== 'object') return '';
      const color = attachmentColor(a.color);
      const style = color ? ` style="border-left-color: ${color}"` : '';
      const parts = [];
      if (a.pretext) parts.push(`<div class="att-pretext">${mrkdwn(a.pretext, ctx)}</div>`);
      if (a.author_name) parts.push(`<div class="att-author">${escapeHtml(a.author_name)}</div>`);
      if (a.title) {
        const url = safeUrl(a.title_link);
        const title = escapeHtml(a.title);
        parts.push(`<div class="att-title">${url ? linkHtml(url, title) : title}</div>`);
      }
      if (a.text) parts.push(`<div class="att-text">${mrkdwn(a.text, ctx)}</div>`);
      if (Array.isArray(a.fields) && a.fields.length) {
        const fields = a.fields
          .map(
            (f) =>
              `<div class="att-field${f.short ? ' att-short' : ''}"><div class="att-field-title">${escapeHtml(f.title ?? '')}</div><div>${mrkdwn(f.value ?? '', ctx)}</div></div>`,
          )
          .join('');
        parts.push(`<div class="att-fields">${fields}</div>`);
      }
      if (Array.isArray(a.blocks) && a.blocks.length) parts.push(renderBlocks(a.blocks, ctx, a.fallback));
      if (Array.isArray(a.actions) && a.actions.length) {
        const buttons = a.actions
          .filter((action) => action.type === 'button')
          .map((action) =>
            buttonHtml(
              {
                type: 'button',
                action_id: action.name ?? action.id,
                text: { type: 'plain_text', text: action.text },
                value: action.value,
                style: action.style,
                url: action.url,
              },
              undefined,
              ctx,
            ),
          )
          .join('');
        parts.push(`<div class="bk-actions">${buttons}</div>`);
      }
      if (a.footer) parts.push(`<div class="att-footer">${mrkdwn(a.footer, ctx)}</div>`);
      if (parts.length === 0 && a.fallback) parts.push(`<div class="att-text">${escapeHtml(a.fallback)}</div>`);
      return `<div class="attachment"${style}>${parts.join('')}</div>`;
    })
    .join('');
}

/** A message's body: its blocks when it has any (the text is then only a fallback), else its text; then attachments. */
export function renderMessageBody(message, ctx = {}) {
  const blocks =
    Array.isArray(message?.blocks) && message.blocks.length ? renderBlocks(message.blocks, ctx, message.text) : '';
  const text = blocks ? '' : message?.text ? `<div class="msg-text">${mrkdwn(message.text, ctx)}</div>` : '';
  return `${blocks}${text}${renderAttachments(message?.attachments, ctx)}`;
}
