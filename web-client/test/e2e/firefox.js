// Real Firefox for the browser tests and the benchmark: Debian's firefox-esr driven by
// puppeteer-core 24.43.1 over WebDriver BiDi (playwright-core cannot drive a stock Firefox;
// puppeteer 25 needs Node 22).
//
// Fake media comes from preferences, not flags: `media.navigator.streams.fake` gives
// getUserMedia a synthetic camera (a colour-cycling picture) and a sine-tone microphone, and
// `media.navigator.permission.disabled` grants them without a prompt. Headless Firefox has no
// screen to capture (getDisplayMedia rejects with NotFoundError), so a Firefox screen share needs
// a headful Firefox on a display (Xvfb): `launchFirefox({ headful: true })` with DISPLAY set.
//
// The page object returned by `openFirefoxPage` speaks the small part of Playwright's Page API
// that the shared helpers of browser.js use (goto, fill, check, uncheck, click, selectOption,
// waitForSelector, evaluate, textContent, isVisible, screenshot, close), so one test drives
// Chromium and Firefox pages through the same helpers.

import puppeteer from 'puppeteer-core';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TEST_VIDEO } from './browser.js';

export const FIREFOX = process.env.HYBRIDGE_FIREFOX ?? '/usr/bin/firefox-esr';

export const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // Media elements of remote peers play without a user gesture (as Chromium's autoplay flag).
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // Background pages are what the other participants are here: do not throttle their timers.
  'dom.min_background_timeout_value': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
};

export function firefoxAvailable() {
  return existsSync(FIREFOX);
}

/** A Firefox, headless unless `headful` (then it needs a `display`, e.g. startXvfb()'s). */
export async function launchFirefox({ headful = false, prefs = {}, display } = {}) {
  return puppeteer.launch({
    env: display ? { ...process.env, DISPLAY: display } : process.env,
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: FIREFOX,
    headless: !headful,
    extraPrefsFirefox: { ...FIREFOX_PREFS, ...prefs },
    args: headful ? ['--width=1280', '--height=800'] : [],
  });
}

/**
 * A page in its own browser context (a BiDi user context: its own storage), with the test hook,
 * wrapped in the Playwright-shaped API of browser.js. `browser` is a launchFirefox() result.
 */
export async function openFirefoxPage(
  browser,
  {
    video = TEST_VIDEO,
    viewport = { width: 1280, height: 720 },
    consoleTo = null,
    config = {},
    initScript = null,
  } = {},
) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(viewport).catch(() => {});
  await page.evaluateOnNewDocument(
    (c) => {
      globalThis.__hybridgeTestConfig = c;
    },
    { hooks: true, video, ...config },
  );
  if (initScript) await page.evaluateOnNewDocument(initScript);
  if (consoleTo) page.on('console', (m) => consoleTo(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => process.stderr.write(`firefox pageerror: ${e.message}\n`));
  return new FirefoxPage(page, context);
}

/** The subset of Playwright's Page the shared helpers use, over a puppeteer Page. */
export class FirefoxPage {
  constructor(page, context) {
    this.page = page;
    this.ctx = context;
    this.browserName = 'firefox';
  }

  goto(url) {
    return this.page.goto(url);
  }

  url() {
    return this.page.url();
  }

  /**
   * page.evaluate, bounded: a page call that never returns (seen in CI once in a few runs) fails
   * in 60 s with the function it was, instead of at puppeteer's 180 s protocol timeout unnamed.
   */
  evaluate(fn, arg) {
    return bounded(this.page.evaluate(fn, arg), `evaluate(${String(fn).slice(0, 120)})`);
  }

  /** `state: 'detached'` waits until no element matches (Playwright's meaning); else until one is visible/attached. */
  async waitForSelector(selector, { state, timeout = 30_000 } = {}) {
    if (state === 'detached' || state === 'hidden') {
      await this.page.waitForFunction(
        (s) => document.querySelector(s) === null,
        { timeout },
        selector,
      );
      return null;
    }
    return this.page.waitForSelector(selector, { timeout });
  }

  /** Sets an input's value as typing would (an `input` event), replacing what was there. */
  async fill(selector, value) {
    await this.page.waitForSelector(selector);
    await this.page.$eval(
      selector,
      (el, v) => {
        el.value = v;
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
      },
      value,
    );
  }

  async #setChecked(selector, checked) {
    await this.page.waitForSelector(selector);
    const now = await this.page.$eval(selector, (el) => el.checked);
    if (now !== checked) await this.page.click(selector);
  }

  check(selector) {
    return this.#setChecked(selector, true);
  }

  uncheck(selector) {
    return this.#setChecked(selector, false);
  }

  async click(selector) {
    await this.page.waitForSelector(selector, { visible: true });
    await this.page.click(selector);
  }

  async selectOption(selector, value) {
    await this.page.waitForSelector(selector);
    await this.page.select(selector, value);
  }

  textContent(selector) {
    return this.page.$eval(selector, (el) => el.textContent);
  }

  isVisible(selector) {
    return this.page.evaluate((s) => {
      const el = document.querySelector(s);
      return el !== null && el.checkVisibility();
    }, selector);
  }

  screenshot(options) {
    return this.page.screenshot(options);
  }

  bringToFront() {
    return this.page.bringToFront();
  }

  context() {
    return this.ctx;
  }

  async close() {
    await this.ctx.close().catch(() => {});
  }
}

/** `promise`, or a rejection naming `what` if it has not settled in `ms`. */
function bounded(promise, what, ms = Number(process.env.HYBRIDGE_FIREFOX_CALL_MS ?? 60_000)) {
  let timer;
  const late = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`firefox: ${what} did not return in ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export const XVFB = '/usr/bin/Xvfb';

export function xvfbAvailable() {
  return existsSync(XVFB);
}

/**
 * A virtual X display (Debian's xvfb) for a headful Firefox: what its screen capture captures.
 * Resolves once the display accepts clients; `stop()` ends it.
 */
export async function startXvfb({ width = 1280, height = 800 } = {}) {
  const n = 90 + Math.floor(Math.random() * 400);
  const child = spawn(
    XVFB,
    [`:${n}`, '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const socket = `/tmp/.X11-unix/X${n}`;
  for (let i = 0; i < 100 && !existsSync(socket); i++) {
    if (child.exitCode !== null) throw new Error(`Xvfb :${n} exited: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!existsSync(socket)) {
    child.kill();
    throw new Error(`Xvfb :${n} did not start: ${err}`);
  }
  return {
    display: `:${n}`,
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', r);
        child.kill();
      }),
  };
}
