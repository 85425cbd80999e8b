import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attachmentColor, renderAttachments, renderBlocks, renderMessageBody } from '../../src/sandbox/page/blocks.js';
import { compareTs, interleave, renderEphemeral, renderMessage } from '../../src/sandbox/page/message.js';
import { decodeEntities, escapeHtml, mrkdwn, mrkdwnToPlain, replaceEmoji } from '../../src/sandbox/page/mrkdwn.js';

const ctx = {
  users: { U0ALICE: 'Alice Chen', U0BOB: 'Bob <b>' },
  channels: { C0DEPLOYS: 'deploys', C0INC: 'inc-20261122-api-prod' },
  bot: { id: 'U0BOT', name: 'tugboat' },
  timeZone: 'UTC',
  now: new Date('2026-11-22T12:00:00Z'),
};

/** Tags in rendered HTML other than the ones the renderer itself produces. */
function foreignTags(html: string): string[] {
  const allowed = new Set([
    'a',
    'strong',
    'em',
    'del',
    'code',
    'pre',
    'br',
    'span',
    'blockquote',
    'time',
    'div',
    'hr',
    'button',
    'select',
    'option',
    'optgroup',
    'img',
    'figure',
    'figcaption',
    'ul',
    'ol',
    'li',
    'label',
    'article',
  ]);
  return [...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase()).filter((tag) => !allowed.has(tag));
}

describe('mrkdwn', () => {
  it('escapes HTML and decodes Slack entities exactly once', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(decodeEntities('&amp;lt; &lt;b&gt; &amp;')).toBe('&lt; <b> &');
    expect(mrkdwn('&lt;script&gt;alert(1)&lt;/script&gt; a &amp; b')).toBe(
      '&lt;script&gt;alert(1)&lt;/script&gt; a &amp; b',
    );
    expect(mrkdwn('<img src=x onerror=alert(1)>')).not.toContain('<img');
    expect(mrkdwn('"quoted" \'single\'')).toBe('&quot;quoted&quot; &#39;single&#39;');
  });

  it('formats bold, italic, strike, code and pre', () => {
    expect(mrkdwn('*bold* _italic_ ~strike~ `co*de*`')).toBe(
      '<strong>bold</strong> <em>italic</em> <del>strike</del> <code class="md-code">co*de*</code>',
    );
    expect(mrkdwn('```\nline <1>\n*not bold*\n```')).toBe('<pre class="md-pre">line &lt;1&gt;\n*not bold*</pre>');
    expect(mrkdwn('before\n```x```\nafter')).toBe('before<pre class="md-pre">x</pre>after');
    expect(mrkdwn('`&lt;b&gt;`')).toBe('<code class="md-code">&lt;b&gt;</code>');
  });

  it('leaves markers inside words and snake_case alone', () => {
    expect(mrkdwn('deploy_rollback_action and 2*3*4')).toBe('deploy_rollback_action and 2*3*4');
    expect(mrkdwn('* not bold *')).toBe('* not bold *');
    expect(mrkdwn('*a*\n*b*')).toBe('<strong>a</strong><br><strong>b</strong>');
  });

  it('renders links, opening in a new tab, and refuses unsafe schemes', () => {
    expect(mrkdwn('<https://example.com/a?x=1&amp;y=2|the &lt;logs&gt;>')).toBe(
      '<a class="md-link" href="https://example.com/a?x=1&amp;y=2" target="_blank" rel="noopener noreferrer">the &lt;logs&gt;</a>',
    );
    expect(mrkdwn('<https://example.com>')).toContain('>https://example.com</a>');
    expect(mrkdwn('<mailto:a@b.c|mail>')).toContain('href="mailto:a@b.c"');
    const evil = mrkdwn('<javascript:alert(1)|click> <https://x.com" onclick="alert(1)|x>');
    expect(evil).not.toContain('javascript:alert(1)"');
    expect(evil).not.toMatch(/href="javascript/);
    expect(evil).not.toContain('" onclick="');
    expect(foreignTags(evil)).toEqual([]);
  });

  it('formats inside a link-bearing sentence', () => {
    expect(mrkdwn('*deploy <https://x|abc>*')).toBe(
      '<strong>deploy <a class="md-link" href="https://x" target="_blank" rel="noopener noreferrer">abc</a></strong>',
    );
  });

  it('shows user and channel mentions as names, escaped', () => {
    expect(mrkdwn('<@U0ALICE> and <@U0BOB>', ctx)).toBe(
      '<span class="md-mention" data-user="U0ALICE">@Alice Chen</span> and <span class="md-mention" data-user="U0BOB">@Bob &lt;b&gt;</span>',
    );
    expect(mrkdwn('<@U0NOBODY>', ctx)).toContain('@U0NOBODY');
    expect(mrkdwn('<@U0NOBODY|nobody>', ctx)).toContain('@nobody');
    expect(mrkdwn('see <#C0INC> and <#C0DEPLOYS|deploys-old> and <#C0GONE|gone>', ctx)).toBe(
      'see <a href="#" class="md-channel" data-channel="C0INC">#inc-20261122-api-prod</a> and ' +
        '<a href="#" class="md-channel" data-channel="C0DEPLOYS">#deploys</a> and ' +
        '<a href="#" class="md-channel" data-channel="C0GONE">#gone</a>',
    );
    expect(mrkdwn('<!here> <!channel>')).toBe(
      '<span class="md-mention md-broadcast">@here</span> <span class="md-mention md-broadcast">@channel</span>',
    );
  });

  it('renders <!date> tokens in the reader zone with the fallback as a title', () => {
    const unix = Date.parse('2026-11-22T15:30:00Z') / 1000;
    const html = mrkdwn(`until <!date^${unix}^{date_short_pretty} at {time}|2026-11-22 15:30 UTC>`, ctx);
    expect(html).toBe(
      'until <time class="md-date" datetime="2026-11-22T15:30:00.000Z" title="2026-11-22 15:30 UTC">today at 3:30 PM</time>',
    );
  });

  it('turns known :emoji: into characters and leaves the rest', () => {
    expect(replaceEmoji(':white_check_mark: :lock: :no_such_emoji: 10:00-18:00')).toBe(
      '✅ 🔒 :no_such_emoji: 10:00-18:00',
    );
    expect(mrkdwn(':rotating_light: *down*')).toBe('🚨 <strong>down</strong>');
  });

  it('quotes lines starting with >', () => {
    expect(mrkdwn('said:\n&gt; one\n&gt; two\nend')).toBe(
      'said:<blockquote class="md-quote">one<br>two</blockquote>end',
    );
  });

  it('cannot be tricked by placeholder characters in the input', () => {
    expect(mrkdwn('\uE0000\uE001 <@U0ALICE>', ctx)).toBe(
      '0 <span class="md-mention" data-user="U0ALICE">@Alice Chen</span>',
    );
  });

  it('gives plain words for previews', () => {
    expect(mrkdwnToPlain('<@U0ALICE> locked <#C0DEPLOYS> &amp; <https://x|logs>', ctx)).toBe(
      '@Alice Chen locked #deploys & logs',
    );
  });
});

describe('Block Kit', () => {
  it('renders a section with text, two-column fields and a button accessory', () => {
    const html = renderBlocks(
      [
        {
          type: 'section',
          block_id: 'b1',
          text: { type: 'mrkdwn', text: '*api* to <#C0DEPLOYS>' },
          fields: [
            { type: 'mrkdwn', text: '*Env*\nprod' },
            { type: 'plain_text', text: '*not bold* <b>' },
          ],
          accessory: {
            type: 'button',
            action_id: 'open_logs',
            text: { type: 'plain_text', text: 'Logs' },
            url: 'https://logs.example.com/?q=a&b',
          },
        },
      ],
      ctx,
    );
    expect(html).toContain(
      '<div class="bk-text"><strong>api</strong> to <a href="#" class="md-channel" data-channel="C0DEPLOYS">#deploys</a></div>',
    );
    expect(html).toContain(
      '<div class="bk-fields"><div class="bk-field"><strong>Env</strong><br>prod</div><div class="bk-field">*not bold* &lt;b&gt;</div></div>',
    );
    expect(html).toContain('data-testid="button-open_logs"');
    expect(html).toContain('data-url="https://logs.example.com/?q=a&amp;b"');
    expect(html).toContain('data-block-id="b1"');
    expect(foreignTags(html)).toEqual([]);
  });

  it('renders context, divider, header and actions with styled buttons', () => {
    const html = renderBlocks(
      [
        { type: 'header', text: { type: 'plain_text', text: 'Incident :rotating_light:' } },
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: '#12 · <https://logs|logs>' },
            { type: 'image', image_url: 'https://x/i.png', alt_text: 'a "pic"' },
            { type: 'image', image_url: 'javascript:x', alt_text: 'bad' },
          ],
        },
        { type: 'divider' },
        {
          type: 'actions',
          block_id: 'acts',
          elements: [
            {
              type: 'button',
              action_id: 'deploy_rollback',
              text: { type: 'plain_text', text: 'Roll back' },
              value: '{"id":7}',
              style: 'danger',
              confirm: { title: { type: 'plain_text', text: 'Sure?' } },
            },
            {
              type: 'button',
              action_id: 'incident_ack',
              text: { type: 'plain_text', text: 'Acknowledge' },
              value: '3',
              style: 'primary',
            },
            {
              type: 'static_select',
              action_id: 'pick',
              placeholder: { type: 'plain_text', text: 'Pick' },
              options: [{ text: { type: 'plain_text', text: 'One' }, value: '1' }],
            },
            {
              type: 'overflow',
              action_id: 'more',
              options: [{ text: { type: 'plain_text', text: 'Mute' }, value: 'mute' }],
            },
          ],
        },
      ],
      ctx,
    );
    expect(html).toContain('<div class="bk-block bk-header" role="heading" aria-level="3">Incident 🚨</div>');
    expect(html).toContain('<div class="bk-block bk-context">');
    expect(html).toContain('<span class="bk-context-text">#12 · <a class="md-link" href="https://logs"');
    expect(html).toContain(
      '<img class="bk-context-image" src="https://x/i.png" alt="a &quot;pic&quot;" loading="lazy">',
    );
    expect(html).not.toContain('javascript:x');
    expect(html).toContain('<hr class="bk-block bk-divider">');
    expect(html).toContain(
      'class="bk-button bk-danger" data-testid="button-deploy_rollback" data-action-id="deploy_rollback" data-block-id="acts" data-type="button"',
    );
    expect(html).toContain('data-value="{&quot;id&quot;:7}"');
    expect(html).toContain('data-confirm="{&quot;title&quot;:');
    expect(html).toContain('class="bk-button bk-primary" data-testid="button-incident_ack"');
    expect(html).toContain('data-testid="select-pick"');
    expect(html).toContain('<option value="1">One</option>');
    expect(html).toContain('data-testid="overflow-more"');
    expect(foreignTags(html)).toEqual([]);
  });

  it('renders rich_text from its elements', () => {
    const html = renderBlocks(
      [
        {
          type: 'rich_text',
          elements: [
            {
              type: 'rich_text_section',
              elements: [
                { type: 'text', text: 'hi <x> ', style: { bold: true } },
                { type: 'user', user_id: 'U0ALICE' },
                { type: 'emoji', name: 'tada' },
              ],
            },
            {
              type: 'rich_text_list',
              style: 'bullet',
              elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'one' }] }],
            },
          ],
        },
      ],
      ctx,
    );
    expect(html).toContain(
      '<strong>hi &lt;x&gt; </strong><span class="md-mention" data-user="U0ALICE">@Alice Chen</span>🎉',
    );
    expect(html).toContain('<ul class="rt-list"><li>one</li></ul>');
  });

  it('falls back to the message text when no block can be shown', () => {
    expect(renderBlocks([{ type: 'mystery' }], ctx, '*fallback*')).toBe(
      '<div class="bk-text"><strong>fallback</strong></div>',
    );
  });

  it('renders blocks instead of text when a message has blocks, else the text', () => {
    const withBlocks = renderMessageBody(
      { text: 'TEXT-ONLY', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'from blocks' } }] },
      ctx,
    );
    expect(withBlocks).toContain('from blocks');
    expect(withBlocks).not.toContain('TEXT-ONLY');
    expect(renderMessageBody({ text: 'just *text*' }, ctx)).toBe(
      '<div class="msg-text">just <strong>text</strong></div>',
    );
  });

  it('renders attachments with a safe coloured bar', () => {
    expect(attachmentColor('danger')).toBe('#e01e5a');
    expect(attachmentColor('36a64f')).toBe('#36a64f');
    expect(attachmentColor('red; background:url(x)')).toBeUndefined();
    const html = renderAttachments(
      [
        {
          color: '#2eb67d',
          title: 'Recovered',
          title_link: 'https://x',
          text: '<@U0ALICE> *ok*',
          blocks: [{ type: 'divider' }, { type: 'section', text: { type: 'mrkdwn', text: 'inner' } }],
        },
      ],
      ctx,
    );
    expect(html).toContain('<div class="attachment" style="border-left-color: #2eb67d">');
    expect(html).toContain('<div class="att-title"><a class="md-link" href="https://x"');
    expect(html).toContain('@Alice Chen</span> <strong>ok</strong>');
    expect(html).toContain('inner');
    expect(renderAttachments([{ color: 'expression(alert(1))', text: 'x' }])).toBe(
      '<div class="attachment"><div class="att-text">x</div></div>',
    );
  });
});

describe('messages', () => {
  it('shows the bot with an APP badge, the time, (edited), reactions and a replies link', () => {
    const html = renderMessage(
      {
        ts: '1795361400.000100',
        user: 'U0BOT',
        bot_id: 'B0BOT',
        text: ':lock: <@U0ALICE> locked *production*',
        edited: { user: 'U0BOT', ts: '1795361401.000000' },
        reactions: [{ name: 'eyes', count: 2, users: ['U0ALICE', 'U0BOB'] }],
        reply_count: 3,
      },
      ctx,
    );
    expect(html).toContain('data-testid="message" data-ts="1795361400.000100"');
    expect(html).toContain('<span class="author">tugboat</span> <span class="app-badge">APP</span>');
    expect(html).toContain('(edited)');
    expect(html).toContain(
      '🔒 <span class="md-mention" data-user="U0ALICE">@Alice Chen</span> locked <strong>production</strong>',
    );
    expect(html).toContain('data-testid="reaction-eyes"');
    expect(html).toContain('<span class="reaction-count">2</span>');
    expect(html).toContain('data-thread-ts="1795361400.000100">3 replies</button>');
    expect(
      renderMessage({ ts: '1.000001', user: 'U0BOB', text: 'hi', reply_count: 3 }, ctx, { inThread: true }),
    ).not.toContain('replies-link');
    expect(renderMessage({ ts: '1.000001', user: 'U0BOB', text: 'hi' }, ctx)).toContain(
      '<span class="author">Bob &lt;b&gt;</span>',
    );
  });

  it('marks ephemerals as only visible to you', () => {
    const html = renderEphemeral(
      {
        channel: 'C0DEPLOYS',
        user: 'U0BOB',
        ts: '1795361402.000000',
        text: ':no_entry: Not deploying',
        source: 'command_response',
        at: 0,
      },
      ctx,
    );
    expect(html).toContain('data-testid="ephemeral" data-ts="1795361402.000000" data-ephemeral="true"');
    expect(html).toContain('Only visible to you');
    expect(html).toContain('⛔ Not deploying');
  });

  it('interleaves ephemerals by exact ts', () => {
    expect(compareTs('1795361400.000100', '1795361400.000099')).toBeGreaterThan(0);
    expect(compareTs('1795361400.1', '1795361400.000100')).toBeGreaterThan(0);
    const order = interleave(
      [{ ts: '10.000001' }, { ts: '10.000003' }],
      [{ ts: '10.000002' }, { ts: '10.000003' }, { ts: '9.5' }],
    ).map((e) => `${e.kind[0]}${e.item.ts}`);
    expect(order).toEqual(['e9.5', 'm10.000001', 'e10.000002', 'm10.000003', 'e10.000003']);
  });
});

describe('page files', () => {
  const page = (name: string) => readFileSync(new URL(`../../src/sandbox/page/${name}`, import.meta.url), 'utf8');

  it('loads the app as an ES module from /page/ and carries the stable test ids', () => {
    const html = page('index.html');
    expect(html).toContain('<script type="module" src="/page/app.js"></script>');
    expect(html).toContain('href="/page/style.css"');
    expect(html).toContain('nothing leaves this machine');
    for (const id of [
      'thread',
      'composer',
      'user-switcher',
      'gh-open-pr',
      'gh-request-review',
      'gh-comment',
      'gh-approve',
      'gh-request-changes',
      'gh-merge',
    ]) {
      expect(html).toContain(`data-testid="${id}"`);
    }
  });

  it('imports only sibling modules (no bundler, no packages)', () => {
    for (const name of ['app.js', 'blocks.js', 'message.js', 'mrkdwn.js', 'emoji.js']) {
      for (const match of page(name).matchAll(/^import .* from '([^']+)';$/gm))
        expect(match[1]).toMatch(/^\.\/[\w-]+\.js$/);
    }
  });
});
