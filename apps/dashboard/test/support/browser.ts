import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** Debian's chromium package (`.ci/run` installs it when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

const ROOT = resolve(__dirname, '../../../..');
/** Where a failing test leaves its screenshot. */
export const FAILURE_DIR = join(ROOT, 'dist/test-results/dashboard');
/**
 * Where the page screenshots go: docs/screenshots (shown in the README) when
 * DASHBOARD_SCREENSHOTS=1, else beside the failure screenshots, so an ordinary run leaves the
 * working tree alone.
 */
export const SCREENSHOT_DIR = process.env.DASHBOARD_SCREENSHOTS === '1' ? join(ROOT, 'docs/screenshots') : join(FAILURE_DIR, 'pages');

/**
 * Real headless Chromium, one per test file. Playwright gives every launch a fresh, temporary
 * --user-data-dir; the flags keep it from reaching the network on its own (updates, sync, QUIC).
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function newContext(browser: Browser, baseURL: string, viewport = { width: 1280, height: 860 }): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  return context;
}

export async function screenshot(page: Page, name: string, dir = SCREENSHOT_DIR): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Signs in through the login form, as a person does. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Account').waitFor();
}

/** Waits until the element's text (trimmed) is `text`, or contains it; fails saying what it showed. */
async function waitForText(locator: Locator, accept: (shown: string) => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let shown = '(not found)';
  while (Date.now() < deadline) {
    try {
      // Block elements put line breaks in innerText; a person reads them as spaces.
      shown = (await locator.innerText({ timeout: 1000 })).replace(/\s+/g, ' ').trim();
      if (accept(shown)) return;
    } catch {
      // not there yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`expected ${locator} ${what}; it shows "${shown}"`);
}

export const hasText = (locator: Locator, text: string, timeoutMs = 20_000) => waitForText(locator, (shown) => shown === text, `to read "${text}"`, timeoutMs);
export const containsText = (locator: Locator, text: string, timeoutMs = 20_000) => waitForText(locator, (shown) => shown.includes(text), `to contain "${text}"`, timeoutMs);
