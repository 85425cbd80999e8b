import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core (which never downloads a browser). `.ci/run`
 * installs it with apt when it is missing; tests that need it skip without it.
 */
export const CHROMIUM = process.env.TUGBOAT_CHROMIUM ?? '/usr/bin/chromium';

export const hasChromium = existsSync(CHROMIUM);

/**
 * Headless Chromium for tests. The background-networking flags keep it from calling Google's
 * hosts at start (a closed network refuses those, many at a time); playwright-core gives it a
 * fresh profile of its own in a temporary folder, removed on close.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * Waits until some element of `locator` contains `text` (playwright-core has no `expect`; this is
 * its auto-waiting locator under the hood) and returns that element. On a timeout the error says
 * what was awaited and what the elements held instead.
 */
export async function waitForText(
  locator: Locator,
  text: string | RegExp,
  options: { timeout?: number; what?: string } = {},
): Promise<Locator> {
  const match = locator.filter({ hasText: text }).first();
  try {
    await match.waitFor({ state: 'visible', timeout: options.timeout ?? 10_000 });
  } catch (error) {
    const seen = await locator.allInnerTexts().catch(() => [] as string[]);
    const shown = seen
      .map((t) => `  | ${t.replace(/\s+/g, ' ').slice(0, 300)}`)
      .slice(-8)
      .join('\n');
    throw new Error(
      `timed out waiting for ${options.what ?? String(text)} (${String(text)}); the last ${Math.min(8, seen.length)} of ${seen.length} elements held:\n${shown || '  (none)'}`,
      { cause: error },
    );
  }
  return match;
}
