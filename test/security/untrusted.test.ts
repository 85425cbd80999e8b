import { describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import {
  codeBlock,
  codeText,
  cut,
  cutMarkup,
  escapeText,
  fitToSlack,
  LIMITS,
  link,
  plainTextOf,
  safeUrl,
  sectionsOf,
  SLACK_LIMITS,
} from '../../src/slack/render/untrusted.ts';

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
const actions = (id: string): KnownBlock => ({
  type: 'actions',
  elements: [{ type: 'button', action_id: id, text: { type: 'plain_text', text: id }, value: id }],
});

describe('escapeText', () => {
  it('escapes the three control characters, so no mention, channel or link can form', () => {
    expect(escapeText('<!channel> <@U0EVIL> <#C0EVIL> <https://evil.example|click> a & b')).toBe(
      '&lt;!channel&gt; &lt;@U0EVIL&gt; &lt;#C0EVIL&gt; &lt;https://evil.example|click&gt; a &amp; b',
    );
  });

  it('keeps a bare @channel, @here or @everyone from ever being one, whatever the case', () => {
    expect(escapeText('@channel @Here @EVERYONE @channels')).toBe(
      '@\u2060channel @\u2060Here @\u2060EVERYONE @channels',
    );
  });

  it('drops control and direction characters and keeps text on one line unless multiline', () => {
    expect(escapeText('a\u0000b\u202ec\u200bd\r\ne\tf')).toBe('abcd e f');
    expect(escapeText('one\ntwo', LIMITS.sentence, { multiline: true })).toBe('one\ntwo');
  });

  it('cuts to the length before escaping, marking the cut', () => {
    expect(escapeText('x'.repeat(100_000))).toBe(`${'x'.repeat(LIMITS.name - 1)}…`);
    expect(escapeText('<'.repeat(10), 5)).toBe(`${'&lt;'.repeat(4)}…`);
  });

  it('shows nothing for undefined and null, and numbers as text', () => {
    expect(escapeText(undefined)).toBe('');
    expect(escapeText(null)).toBe('');
    expect(escapeText(42)).toBe('42');
  });
});

describe('cut', () => {
  it('never splits a surrogate pair', () => {
    expect(cut('ab😀cd', 4)).toBe('ab…');
    expect(cut('short', 10)).toBe('short');
  });
});

describe('codeText and codeBlock', () => {
  it('inline code: a backtick cannot end the span, and < cannot start a token', () => {
    expect(codeText('a`b <!here>')).toBe('`aˋb &lt;!here&gt;`');
    expect(codeText('')).toBe('` `');
  });

  it('a code block: its own fences are defused, lines kept, everything escaped', () => {
    expect(codeBlock('```\n<!channel>\n```')).toBe("```\n'''\n&lt;!channel&gt;\n'''\n```");
  });
});

describe('plainTextOf', () => {
  it('cleans and cuts a plain_text value, and does not escape (Slack shows plain_text as it is)', () => {
    expect(plainTextOf('a <b>\nc\u0007', 150)).toBe('a <b> c');
    expect(plainTextOf('y'.repeat(500), 75)).toHaveLength(75);
  });
});

describe('safeUrl and link', () => {
  it('accepts http and https only', () => {
    expect(safeUrl('https://ci.example.com/run/1')).toBe('https://ci.example.com/run/1');
    expect(safeUrl('http://ci.example.com/')).toBe('http://ci.example.com/');
    for (const bad of [
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      'data:text/html,x',
      'mailto:a@b.c',
      'ftp://x/',
      '/relative',
      '',
      'not a url',
    ]) {
      expect(safeUrl(bad)).toBeUndefined();
    }
    expect(safeUrl(undefined)).toBeUndefined();
    expect(safeUrl(42)).toBeUndefined();
    expect(safeUrl(`https://x.example/${'a'.repeat(2_000)}`)).toBeUndefined();
  });

  it('encodes what would end the link or start a token, and writes & as &amp; like Slack does', () => {
    expect(safeUrl('https://x.example/a|b?q=<!channel>&r=1')).toBe('https://x.example/a%7Cb?q=%3C!channel%3E&amp;r=1');
  });

  it('link: the label escaped; an unsafe URL leaves only the label', () => {
    expect(link('https://x.example/', '<!here> me')).toBe('<https://x.example/|&lt;!here&gt; me>');
    expect(link('javascript:alert(1)', 'run')).toBe('run');
    expect(link('https://x.example/', '')).toBe('<https://x.example/|link>');
    expect(link(undefined, '<@U0EVIL>')).toBe('&lt;@U0EVIL&gt;');
  });
});

describe('cutMarkup', () => {
  it('drops a half token or entity with the cut', () => {
    expect(cutMarkup('abc <https://x.example/|label> d', 10)).toBe('abc …');
    expect(cutMarkup('abc &amp; d', 7)).toBe('abc …');
    expect(cutMarkup('short', 10)).toBe('short');
  });
});

describe('sectionsOf', () => {
  it('packs lines into as few sections as fit 3,000 characters, cutting a longer line', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `${i} ${'x'.repeat(95)}`);
    const blocks = sectionsOf([...lines, 'y'.repeat(10_000)]);
    const texts = blocks.map((block) => (block as { text: { text: string } }).text.text);
    expect(Math.max(...texts.map((text) => text.length))).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(texts.join('\n')).toContain('99 ');
    expect(blocks.length).toBe(5);
  });
});

describe('fitToSlack', () => {
  it('cuts each block to its limit and the text beside blocks to 4,000 characters', () => {
    const fitted = fitToSlack({
      text: 'z'.repeat(50_000),
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(500) } },
        section('s'.repeat(10_000)),
        {
          type: 'section',
          fields: Array.from({ length: 12 }, () => ({ type: 'mrkdwn' as const, text: 'f'.repeat(3_000) })),
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'c'.repeat(5_000) }] },
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'b'.repeat(200) }, value: 'v' },
          ],
        },
      ],
    });
    expect(fitted.text).toHaveLength(SLACK_LIMITS.fallbackText);
    const [header, text, fields, context, buttons] = fitted.blocks as Array<Record<string, any>>;
    expect(header.text.text).toHaveLength(SLACK_LIMITS.headerText);
    expect(text.text.text).toHaveLength(SLACK_LIMITS.sectionText);
    expect(fields.fields).toHaveLength(10);
    expect(fields.fields[0].text).toHaveLength(SLACK_LIMITS.sectionFieldText);
    expect(context.elements[0].text).toHaveLength(SLACK_LIMITS.contextElementText);
    expect(buttons.elements[0].text.text).toHaveLength(SLACK_LIMITS.buttonText);
  });

  it('a message without blocks keeps up to 40,000 characters of text', () => {
    expect(fitToSlack({ text: 'z'.repeat(50_000) }).text).toHaveLength(SLACK_LIMITS.messageText);
  });

  it('at most 50 blocks: every actions block is kept, and a line after the last kept block says how many were left out', () => {
    const blocks = [
      section('top'),
      actions('first'),
      ...Array.from({ length: 80 }, (_, i) => section(`line ${i}`)),
      actions('last'),
    ];
    const fitted = fitToSlack({ text: 't', blocks }).blocks!;
    expect(fitted).toHaveLength(SLACK_LIMITS.blocks);
    expect(fitted.filter((block) => block.type === 'actions')).toHaveLength(2);
    expect(fitted.at(-1)!.type).toBe('actions');
    expect(fitted.at(-2)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '…and 34 more not shown.' }] });
    expect(fitted.at(-3)).toEqual(section('line 45'));
  });

  it('leaves a message within the limits as it is', () => {
    const message = { channel: 'C1', text: 'hi', blocks: [section('hi'), actions('a')] };
    expect(fitToSlack(message)).toEqual(message);
  });
});
