import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, hasChromium, launchChromium, waitForText } from './browser.ts';
import { bootSandbox, type TestSandbox } from './helpers.ts';

// The tour of issue 6 in a real browser: Debian's Chromium, driven by playwright-core, clicks and
// types through the sandbox page as a newcomer would. Only the page is used (no API calls), and
// each main step leaves a screenshot in test-results/tour/, or with UPDATE_SCREENSHOTS=1 in
// docs/screenshots/ (the README shows three of them).

const SCREENSHOTS = fileURLToPath(
  new URL(process.env.UPDATE_SCREENSHOTS ? '../../docs/screenshots/' : '../../test-results/tour/', import.meta.url),
);
const ALICE = 'U0SANDBOX1'; // admin, deploys to production
const BOB = 'U0SANDBOX2'; // deploys to production
/** How long tugboat's work may take to show: deploys, smoke-check rounds every 5 s. */
const SLOW = 20_000;
/** Three failing rounds of checks every 5 s before the incident opens; two passing ones to recover. */
const INCIDENT = 40_000;

let sandbox: TestSandbox & { dispose(): Promise<void> };
let browser: Browser;
let context: BrowserContext;
let page: Page;

const title = hasChromium
  ? 'the sandbox tour in Chromium'
  : `the sandbox tour in Chromium (skipped: ${CHROMIUM} is not installed; .ci/run installs Debian's chromium with apt)`;

describe.skipIf(!hasChromium)(title, () => {
  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    // As `npm start` runs it, with its first releases deployed (so Roll back has one to go back to)
    // and a short rollout (so the deploy is seen moving).
    sandbox = await bootSandbox({ history: true, rolloutMs: 1_000 });
    await sandbox.ready;
    browser = await launchChromium();
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
      timezoneId: 'UTC',
      locale: 'en-US',
    });
    page = await context.newPage();
    // A button with a Slack `confirm` asks through window.confirm; say yes, as the person would.
    page.on('dialog', (dialog) => void dialog.accept());
  }, 90_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await sandbox?.dispose();
  });

  const composer = () => page.getByTestId('composer');
  const channelMessages = () => page.getByTestId('messages').getByTestId('message');
  const ephemerals = () => page.getByTestId('messages').getByTestId('ephemeral');
  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, name) });

  /** Types a slash command in the composer and sends it with Enter, as the chosen person. */
  async function type(text: string) {
    const input = composer();
    await input.click();
    await input.fill(text);
    // The command suggestions close once a space is typed; Escape makes sure Enter sends.
    await input.press('Escape');
    await input.press('Enter');
    // The page empties the composer once the sandbox took the command (an error stays in the hint).
    await expect
      .poll(
        async () =>
          (await input.inputValue()) === ''
            ? ''
            : `not sent; the hint says: ${await page.getByTestId('composer-hint').innerText()}`,
        { timeout: 10_000, message: `the composer to send ${text}` },
      )
      .toBe('');
  }

  async function actAs(userId: string) {
    await page.getByTestId('user-switcher').selectOption(userId);
    await expect.poll(() => page.getByTestId('user-switcher').inputValue()).toBe(userId);
  }

  async function openChannel(name: string) {
    await page.getByTestId(`channel-${name}`).click();
    await waitForText(page.getByTestId('current-channel'), name);
  }

  it('locks, is refused, unlocks, deploys, pings a reviewer and rolls back an incident, all through the page', async () => {
    try {
      // 1. The page opens on the production channel, live.
      await page.goto(sandbox.url);
      await waitForText(page.getByTestId('current-channel'), 'deploys-production');
      await waitForText(page.getByTestId('connection'), 'live');
      // The first releases the sandbox deployed at start are announced there.
      await waitForText(channelMessages(), /deployed api/, { what: "the first release's announcement" });

      // 2. Alice locks production: announced in the channel.
      await actAs(ALICE);
      await type('/lock prod for 30m running a migration');
      await waitForText(channelMessages(), /Alice Chen locked production/, { what: 'the lock announcement' });
      await shot('01-lock.png');

      // 3. Bob tries to lock it too: refused, in a message only he sees.
      await actAs(BOB);
      await type('/lock prod');
      const refusal = await waitForText(ephemerals(), /production is locked by @Alice Chen/, { what: "Bob's refusal" });
      expect(await refusal.innerText()).toContain('Only visible to you');
      await shot('02-refusal.png');
      // Alice does not see Bob's refusal.
      await actAs(ALICE);
      await expect.poll(() => ephemerals().filter({ hasText: 'is locked by' }).count()).toBe(0);

      // 4. Alice unlocks: announced.
      await type('/unlock prod');
      await waitForText(channelMessages(), /Alice Chen released production/, { what: 'the unlock announcement' });

      // 5. Alice deploys api's main to production; its announcement updates in place to success.
      await type('/deploy api to prod');
      const announcement = await waitForText(
        channelMessages(),
        /Alice Chen (is about to deploy|is deploying|deployed) api \w{7} \(main\) to production/,
        {
          what: 'the deploy announcement',
          timeout: SLOW,
        },
      );
      const ts = await announcement.getAttribute('data-ts');
      expect(ts).toBeTruthy();
      const sameMessage = page.getByTestId('messages').locator(`[data-testid="message"][data-ts="${ts}"]`);
      await waitForText(sameMessage, /Alice Chen deployed api \w{7} \(main\) to production/, {
        what: 'the announcement updated to success',
        timeout: SLOW,
      });
      expect(await sameMessage.innerText()).toContain('(edited)');
      await shot('03-deploy.png');

      // 6. GitHub: Alice opens a PR on api and asks Bob to review; the ping is in the PR's thread in #code-review.
      await page.getByTestId('gh-repo').selectOption('acme-sandbox/api');
      await page.getByTestId('gh-author').selectOption('alice-chen');
      await page.getByTestId('gh-title').fill('Cache the pricing lookups');
      await page.getByTestId('gh-open-pr').click();
      await waitForText(page.getByTestId('gh-result'), /Opened acme-sandbox\/api#\d+/);
      await expect
        .poll(() => page.getByTestId('gh-pr').locator('option:checked').textContent())
        .toContain('Cache the pricing lookups');
      await page.getByTestId('gh-reviewer').selectOption('bob-okafor');
      await page.getByTestId('gh-request-review').click();
      await waitForText(page.getByTestId('gh-result'), /Asked bob-okafor to review/);
      await openChannel('code-review');
      const root = await waitForText(channelMessages(), 'Cache the pricing lookups', {
        what: "the PR's message in #code-review",
        timeout: SLOW,
      });
      await root.getByTestId('replies').click();
      const thread = page.getByTestId('thread');
      await waitForText(thread.getByTestId('message'), /alice-chen asked @Bob Okafor for a review/, {
        what: 'the review ping in the thread',
        timeout: SLOW,
      });
      await shot('04-review.png');
      await page.getByTestId('thread-close').click();

      // 7. Break api in production: its smoke checks fail, an incident channel opens with Roll back.
      await openChannel('deploys-production');
      await page.getByTestId('break-api-production').click();
      await waitForText(page.getByTestId('demo-api-production'), 'broken');
      const incidentLink = page.locator('[data-testid^="channel-inc-"]').first();
      await incidentLink.waitFor({ state: 'visible', timeout: INCIDENT });
      const incidentName = (await incidentLink.getAttribute('data-testid'))!.slice('channel-'.length);
      expect(incidentName).toMatch(/^inc-.*api/);
      await incidentLink.click();
      await waitForText(page.getByTestId('current-channel'), incidentName);
      const opened = await waitForText(channelMessages(), /api is failing in production/, {
        what: "the incident's first message",
        timeout: SLOW,
      });
      const rollback = opened.getByTestId('button-incident_rollback').first();
      await rollback.waitFor({ state: 'visible' });
      await shot('05-incident.png');

      // Roll back: the release before the broken one is healthy, and the incident channel says so.
      await rollback.click();
      await waitForText(channelMessages(), /recovered|passes again/, {
        what: 'recovery in the incident channel',
        timeout: INCIDENT,
      });
      await waitForText(page.getByTestId('demo-api-production'), 'healthy');
      // The incident itself recovers after `passes_before_recovery` passing rounds.
      await waitForText(channelMessages(), /api in production recovered/, {
        what: "the incident's recovery",
        timeout: INCIDENT,
      });
      await shot('06-recovered.png');
    } catch (error) {
      // What the page and tugboat showed when it failed, for the failure's message.
      const where = path.join(tmpdir(), `tugboat-tour-failure-${Date.now()}.png`);
      await page?.screenshot({ path: where, fullPage: true }).catch(() => undefined);
      const logs = sandbox.logs.raw.slice(-30).join('\n');
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\n\nscreenshot: ${where}\ntugboat's last log lines:\n${logs || '(none)'}`,
        { cause: error },
      );
    }
  }, 120_000);
});
