// The two browsers the benchmark runs in, behind one interface: launch, a page with the test
// hook, a page whose scripts the automation serves, a worker served in place of the app's SFrame
// worker, and CPU time (whole browser, and per thread from /proc).
//
// Chromium: Debian's chromium through playwright-core (web-client/test/e2e/browser.js); its
// processes and their CPU from CDP SystemInfo.getProcessInfo. Firefox: Debian's firefox-esr
// through puppeteer-core over WebDriver BiDi (web-client/test/e2e/firefox.js); its processes are
// the launched process and its descendants, read from /proc (Linux), since BiDi has no process
// list. CPU is utime + stime (USER_HZ = 100, so 10 ms resolution per thread).

import { readFileSync, readdirSync } from 'node:fs';
import { launchBrowser, openPage } from '../../web-client/test/e2e/browser.js';
import { launchFirefox, openFirefoxPage } from '../../web-client/test/e2e/firefox.js';

const HZ = 100;

/** A process's (all its threads) or one thread's name, parent and CPU seconds. */
function procStat(pid, tid = null) {
  const st = readFileSync(
    tid === null ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`,
    'utf8',
  );
  const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return { name, ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / HZ };
}

/** pid and every descendant of it, with a type ('browser' for pid itself, else 'child'). */
function processTree(root) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const { ppid } = procStat(d);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  const out = [{ id: root, type: 'browser' }];
  for (let i = 0; i < out.length; i++)
    for (const c of children.get(out[i].id) ?? []) out.push({ id: c, type: 'child' });
  return out;
}

/**
 * CPU seconds per thread name over `processes` ({id, type}), keyed "type/threadName" with
 * trailing digits folded ("#"). Linux cuts thread names to 15 characters.
 */
export function threadCpu(processes) {
  const out = new Map();
  for (const { id, type } of processes) {
    let tids = [];
    try {
      tids = readdirSync(`/proc/${id}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const { name, cpu } = procStat(id, tid);
        const k = `${type}/${name.replace(/\d+$/, '#')}`;
        out.set(k, (out.get(k) ?? 0) + cpu);
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

async function chromiumProcesses(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  await cdp.detach();
  return processInfo;
}

export const chromium = {
  name: 'Chromium',
  launch: () => launchBrowser(),
  openPage: (browser, options) => openPage(browser, options),
  close: (page) => page.context().close(),
  async cpu(browser) {
    return (await chromiumProcesses(browser)).reduce((sum, p) => sum + p.cpuTime, 0);
  },
  processes: (browser) => chromiumProcesses(browser),
  // where the SFrame worker runs, and where WebCrypto's AES runs
  workerThread: 'renderer/DedicatedWorker',
  cryptoThread: 'renderer/ThreadPoolForeg',
  /** Serves `body` for every request of the app's SFrame worker. */
  replaceWorker: (page, body) =>
    page.route('**/sframe-worker-*.js', (r) => r.fulfill({ contentType: 'text/javascript', body })),
  /** A page at `${origin}/__bench/` whose scripts (any .js under it) are `js`. */
  async scriptPage(browser, origin, js, html) {
    const page = await browser.newPage();
    await page.route(`${origin}/__bench/**`, (r) =>
      r.request().url().endsWith('.js')
        ? r.fulfill({ contentType: 'text/javascript', body: js })
        : r.fulfill({ contentType: 'text/html', body: html }),
    );
    await page.goto(`${origin}/__bench/`);
    return page;
  },
};

/** Requests whose URL matches `test` are answered with `respond(url)`, others go on. */
async function intercept(puppeteerPage, test, respond) {
  await puppeteerPage.setRequestInterception(true);
  puppeteerPage.on('request', (r) => {
    if (test(r.url())) r.respond({ status: 200, ...respond(r.url()) });
    else r.continue();
  });
}

export const firefox = {
  name: 'Firefox',
  launch: () => launchFirefox(),
  openPage: (browser, options) => openFirefoxPage(browser, options),
  close: (page) => page.close(),
  async cpu(browser) {
    let sum = 0;
    for (const { id } of processTree(browser.process().pid)) {
      try {
        sum += procStat(id).cpu;
      } catch {
        // gone
      }
    }
    return sum;
  },
  processes: async (browser) => processTree(browser.process().pid),
  // Firefox names a worker's thread "DOM Worker"; a worker's WebCrypto calls run on the content
  // process's BackgroundThreadPool ("Backgro~Pool #N" in /proc; checked: 46,734 AES-GCM encrypts
  // from a worker cost 850 ms on "DOM Worker" and 870 ms there).
  workerThread: 'child/DOM Worker',
  cryptoThread: 'child/Backgro~Pool ##',
  replaceWorker: (page, body) =>
    intercept(
      page.page,
      (u) => /\/sframe-worker-[^/]*\.js$/.test(u),
      () => ({ contentType: 'text/javascript', body }),
    ),
  async scriptPage(browser, origin, js, html) {
    const page = await browser.newPage();
    await intercept(
      page,
      (u) => u.startsWith(`${origin}/__bench/`),
      (u) =>
        u.endsWith('.js')
          ? { contentType: 'text/javascript', body: js }
          : { contentType: 'text/html', body: html },
    );
    await page.goto(`${origin}/__bench/`);
    return page;
  },
};

export const DRIVERS = { chromium, firefox };
