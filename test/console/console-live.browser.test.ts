/**
 * The console in real Chromium: log in with the admin key, start a call with the simulated caller against the real
 * server on loopback (Realtime fake, keyword classifier), and see the caller's and the bot's transcript lines and
 * the agent switch appear live; then the finished call in the recent calls. Screenshots go to out/.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeServerOptionsForFixture } from '../../scripts/demo/fake-script.js';
import { networkTransport } from '../../scripts/sim-caller/network-transport.js';
import { runSimulatedCall } from '../../scripts/sim-caller/sim-caller.js';
import { readFixture } from '../../src/fixtures/call-fixture.js';
import { RealtimeFakeServer } from '../../fakes/realtime-server.js';
import { SCREENSHOT_DIR as OUT, startConsoleInChromium, type Chromium, type ConsoleInChromium } from './chromium.js';

const PUBLIC_BASE_URL = 'https://console.example.test';
const AUTH_TOKEN = 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0';
const ADMIN_KEY = 'console-test-admin-key-0123456789';
const SPEED = 2;

let fake: RealtimeFakeServer;
let rig: ConsoleInChromium;
let baseUrl: string;
let browser: Chromium;
const fixturePromise = readFixture(path.resolve('test/fixtures/calls/intent-change-billing-then-cancel.jsonl'));

beforeAll(async () => {
  const fixture = await fixturePromise;
  fake = await RealtimeFakeServer.start(fakeServerOptionsForFixture(fixture, SPEED));
  rig = await startConsoleInChromium({ realtimeUrl: fake.url, publicBaseUrl: PUBLIC_BASE_URL, authToken: AUTH_TOKEN, adminKey: ADMIN_KEY });
  ({ baseUrl, browser } = rig);
}, 120_000);

afterAll(async () => {
  await rig?.close();
  await fake?.close();
});

async function logIn(page: Page): Promise<void> {
  await page.goto(`${baseUrl}/console`);
  await page.waitForSelector('#login:not([hidden]), #app:not([hidden])');
  if (await page.isVisible('#app')) return;
  await page.fill('#key', ADMIN_KEY);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#app:not([hidden])');
}

describe('console in Chromium', () => {
  it('refuses a wrong key and keeps the key out of URLs and readable cookies', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${baseUrl}/console`);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#key', 'not-the-key-at-all');
    await page.click('#login button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toBe('Wrong key.');
    await logIn(page);
    expect(page.url()).not.toContain(ADMIN_KEY);
    // HttpOnly: the page's script cannot read the session cookie.
    expect(await page.evaluate('document.cookie')).toBe('');
    const cookies = await browser.context.cookies(`${baseUrl}/console/`);
    expect(cookies.find((c) => c.name === 'voicebot_console')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    await page.close();
  });

  it('shows a simulated call live: transcript lines of both sides and the agent switch, then the record', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await logIn(page);
    const fixture = await fixturePromise;
    const call = runSimulatedCall({
      transport: networkTransport({ connectBaseUrl: baseUrl }),
      fixture,
      publicBaseUrl: PUBLIC_BASE_URL,
      authToken: AUTH_TOKEN,
      speed: SPEED,
    });
    const row = page.locator('#live-calls tbody tr');
    await row.first().waitFor({ timeout: 10_000 });
    expect(await page.textContent('#live-calls tbody')).toContain('+1******0001');
    await row.first().click();
    await expect.poll(() => page.textContent('#detail-state'), { timeout: 10_000 }).toBe('(live)');
    // The caller's words and the bot's answer appear while the call is going on.
    await page.locator('#transcript li.caller', { hasText: 'charged twice' }).waitFor({ timeout: 20_000 });
    await page.locator('#transcript li.bot', { hasText: 'double charge' }).waitFor({ timeout: 20_000 });
    await page.locator('#agents li.switch', { hasText: 'billing' }).waitFor({ timeout: 20_000 });
    expect(await page.textContent('#agents li.switch')).toMatch(/→ billing \(intent bill_explanation \d+%\)/);
    expect(await page.textContent('#detail-state')).toBe('(live)');
    expect(await page.textContent('#live-calls tbody td.agent')).toBe('billing');
    await page.screenshot({ path: path.join(OUT, 'console-call-detail.png'), fullPage: true });

    const result = await call;
    expect(result.endedBy).toBeDefined();
    await expect.poll(() => page.locator('#live-calls tbody tr').count(), { timeout: 10_000 }).toBe(0);
    // The finished call is in the records: the recent list after a refresh, its detail from the record.
    await expect
      .poll(
        async () => {
          await page.click('#filters button[type=submit]');
          return page.locator('#recent-calls tbody tr').count();
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    await page.locator('#recent-calls tbody tr').first().click();
    await expect.poll(() => page.textContent('#detail-state'), { timeout: 10_000 }).toMatch(/^\(ended: /);
    expect(await page.textContent('#agents')).toContain('retention');
    await page.screenshot({ path: path.join(OUT, 'console-recent.png'), fullPage: true });
    await page.close();
  }, 90_000);
});
