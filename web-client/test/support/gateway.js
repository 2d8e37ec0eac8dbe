// Test harness: runs the REAL gateway (dev.hybridge.gateway.Main) in a child JVM for Node and
// browser tests. No mocks: the tests speak the hop handshake and the room protocol to it.
//
//   const gw = await startGateway({ config: { limits: { 'room-capacity': 3 } } });
//   gw.url             'http://127.0.0.1:PORT'
//   gw.wsUrl           'ws://127.0.0.1:PORT/ws'
//   gw.fingerprint     Uint8Array(32): SHA-256 of the gateway's public key (what a link pins)
//   gw.fingerprintHex  64 lowercase hex characters
//   gw.publicKey       Uint8Array(1216)
//   await gw.restart() stops and starts again with the same key file and port (close 1001 first)
//   gw.rotateKey()     after gw.stopOnly(): rotate-key on the key file (gw.start() serves the new key)
//   await gw.kill()    SIGKILL: the process dies at once (a cluster node's death)
//   await gw.stop()    stops (SIGTERM: the gateway closes its connections with 1001), removes temp files
//
// Prerequisite: the gateway module is compiled and its classpath file written. `./hybridge test`
// does that before npm runs; by hand, from the repository root:
//
//   mvn -B -ntp -q -pl gateway -am compile dependency:build-classpath \
//       -Dmdep.outputFile=$PWD/gateway/target/classpath.txt
//
// Java: $JAVA_HOME/bin/java if JAVA_HOME is set (./hybridge exports it), otherwise the newest
// JDK 21+ under /usr/lib/jvm, otherwise `java` on PATH.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '..', '..', '..');
const GATEWAY_CLASSES = join(REPO_ROOT, 'gateway', 'target', 'classes');
const GATEWAY_TEST_CLASSES = join(REPO_ROOT, 'gateway', 'target', 'test-classes');
const CLASSPATH_FILE = join(REPO_ROOT, 'gateway', 'target', 'classpath.txt');
// The test build of the client (npm run build:test; npm run test:e2e makes it first): the served
// dist/ has no test hooks, and the browser tests and the benchmark drive pages through them.
const WEB_DIST_TEST = join(REPO_ROOT, 'web-client', 'dist-test');

export const BUILD_COMMAND = 'mvn -B -ntp -q -pl gateway -am process-classes -DskipTests';
/** What a test-only launcher (option `testMain`) needs besides: the gateway's test classes. */
export const TEST_BUILD_COMMAND = 'mvn -B -ntp -q -pl gateway -am test-compile -DskipTests';

const START_TIMEOUT_MS = 60_000; // a JVM start on a loaded 2-core machine took over 30 s once
const STOP_TIMEOUT_MS = 10_000;

/** Every gateway child still running, so that process exit kills them all. */
const running = new Set();
let exitHooked = false;

function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      for (const child of running) child.kill('SIGKILL');
      process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    });
  }
}

/** The java binary to run the gateway with (JDK 21+). */
export function findJava() {
  if (process.env.JAVA_HOME) return join(process.env.JAVA_HOME, 'bin', 'java');
  let best = null;
  let bestMajor = 0;
  try {
    for (const d of readdirSync('/usr/lib/jvm')) {
      const home = join('/usr/lib/jvm', d);
      const rel = join(home, 'release');
      if (!existsSync(rel) || !existsSync(join(home, 'bin', 'java'))) continue;
      const m = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(rel, 'utf8'));
      const major = m ? Number(m[1]) : 0;
      if (major >= 21 && major > bestMajor) {
        best = join(home, 'bin', 'java');
        bestMajor = major;
      }
    }
  } catch {
    // no /usr/lib/jvm
  }
  return best ?? 'java';
}

/** Throws with the build command if the gateway classes or their classpath file are missing. */
export function checkGatewayBuilt() {
  const main = join(GATEWAY_CLASSES, 'dev', 'hybridge', 'gateway', 'Main.class');
  if (!existsSync(main) || !existsSync(CLASSPATH_FILE)) {
    throw new Error(
      `the gateway is not built (${existsSync(main) ? CLASSPATH_FILE : main} is missing). ` +
        `Build it from the repository root with:\n  ${BUILD_COMMAND}\n(mvn verify runs these tests after building the gateway).`,
    );
  }
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepMerge(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k], v) : v;
  }
  return out;
}

/**
 * Starts the gateway. Options:
 *   port     0 (default) lets the gateway pick a free port; restart() reuses the one it got
 *   keyFile  an existing key file (chmod 600) to reuse; default: a fresh one in a temp directory
 *   config   overrides under `hybridge:` of the gateway's YAML, nested, e.g.
 *            { limits: { 'room-capacity': 3, 'handshake-timeout': 'PT2S' } }
 *   log      true: copy the gateway's output to this process's stderr (default: env HYBRIDGE_TEST_LOG)
 *   testMain a test-only launcher class from gateway/src/test (e.g.
 *            'dev.hybridge.gateway.room.LyingGatewayMain') run instead of Main, with the gateway's
 *            test classes on the classpath; it takes the same config file and prints the same line
 */
export async function startGateway({
  port = 0,
  keyFile,
  config = {},
  log = !!process.env.HYBRIDGE_TEST_LOG,
  testMain = null,
} = {}) {
  checkGatewayBuilt();
  if (
    testMain !== null &&
    !existsSync(join(GATEWAY_TEST_CLASSES, ...testMain.split('.')) + '.class')
  ) {
    throw new Error(
      `the gateway's test classes are not built (${testMain} is missing). Build them from the repository root with:\n  ${TEST_BUILD_COMMAND}`,
    );
  }
  hookExit();
  const dir = mkdtempSync(join(tmpdir(), 'hybridge-gw-'));
  const key = keyFile ?? join(dir, 'gateway.key'); // the gateway creates it with mode 600
  const java = findJava();
  const classpath = `${GATEWAY_CLASSES}:${testMain !== null ? `${GATEWAY_TEST_CLASSES}:` : ''}${readFileSync(CLASSPATH_FILE, 'utf8').trim()}`;
  const base = {
    server: { host: '127.0.0.1', port },
    'key-file': key,
    'web-root': existsSync(WEB_DIST_TEST) ? WEB_DIST_TEST : '',
    'log-level': 'WARNING',
  };
  const settings = deepMerge(base, config);
  const configFile = join(dir, 'gateway.yaml');

  // The environment would override the file (ConfigLoader): keep the test's config exactly.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('HYBRIDGE_')),
  );

  let child = null;
  let currentPort = port;

  async function launch() {
    settings.server = { ...settings.server, port: currentPort };
    // JSON is YAML: no YAML writer needed.
    writeFileSync(configFile, JSON.stringify({ hybridge: settings }, null, 2));
    child = spawn(
      java,
      [
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Xshare:auto',
        '-cp',
        classpath,
        testMain ?? 'dev.hybridge.gateway.Main',
        configFile,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.add(child);
    const me = child;
    let output = '';
    const exited = new Promise((res) =>
      me.once('exit', (code, signal) => {
        running.delete(me);
        res({ code, signal });
      }),
    );
    me.exited = exited;
    const announced = new Promise((res, rej) => {
      const onData = (chunk) => {
        const s = chunk.toString();
        output += s;
        if (output.length > 100_000) output = output.slice(-50_000);
        if (log) process.stderr.write(`[gateway] ${s}`);
        const m = /Hybridge gateway at https?:\/\/[^:/]+:(\d+)\//.exec(output);
        if (m) res(Number(m[1]));
      };
      me.stdout.on('data', onData);
      me.stderr.on('data', onData);
      me.once('error', (e) => rej(new Error(`cannot run ${java}: ${e.message}`)));
      exited.then(({ code, signal }) =>
        rej(new Error(`gateway exited (${code ?? signal}) before it was ready:\n${output}`)),
      );
    });
    let timer;
    const timeout = new Promise((_, rej) => {
      timer = setTimeout(
        () => rej(new Error(`gateway did not start within ${START_TIMEOUT_MS} ms:\n${output}`)),
        START_TIMEOUT_MS,
      );
    });
    try {
      currentPort = await Promise.race([announced, timeout]);
      await Promise.race([waitHealthy(`http://127.0.0.1:${currentPort}`), timeout]);
    } catch (e) {
      me.kill('SIGKILL');
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async function terminate() {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGTERM'); // the shutdown hook sends ERROR(SHUTTING_DOWN) and closes with 1001
    let timer;
    const killed = await Promise.race([
      c.exited.then(() => false),
      new Promise((res) => {
        timer = setTimeout(() => res(true), STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (killed) {
      c.kill('SIGKILL');
      await c.exited;
    }
  }

  await launch();
  const url = `http://127.0.0.1:${currentPort}`;
  const doc = await (await fetch(`${url}/.well-known/hybridge.json`)).json();
  const publicKey = new Uint8Array(Buffer.from(doc.public_key, 'base64url'));
  const fingerprint = new Uint8Array(createHash('sha256').update(publicKey).digest());
  const fingerprintHex = Buffer.from(fingerprint).toString('hex');

  return {
    url,
    wsUrl: `ws://127.0.0.1:${currentPort}/ws`,
    port: currentPort,
    fingerprint,
    fingerprintHex,
    publicKey,
    keyFile: key,
    /** True while the gateway process runs. */
    get running() {
      return child !== null;
    },
    async stop() {
      await terminate();
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    },
    /** SIGKILL (kill -9): no shutdown hook runs, every connection is cut (a node that dies). */
    async kill() {
      const c = child;
      child = null;
      if (c === null || c.exitCode !== null || c.signalCode !== null) return;
      c.kill('SIGKILL');
      await c.exited;
    },
    /** Stops only, keeping the key file and port, so start() can bring the same gateway back. */
    async stopOnly() {
      await terminate();
    },
    async start() {
      if (child === null) await launch();
    },
    async restart() {
      await terminate();
      await launch();
    },
    /**
     * Runs `rotate-key` on the key file (the gateway must be stopped): a new key, the old one kept
     * and announced as retired from the next start (spec/hop-handshake.md §3.1).
     */
    rotateKey() {
      if (child !== null) throw new Error('rotateKey: stop the gateway first (stopOnly)');
      const r = spawnSync(
        java,
        ['-cp', classpath, 'dev.hybridge.gateway.Main', 'rotate-key', key],
        {
          env,
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) throw new Error(`rotate-key failed (${r.status}): ${r.stderr}`);
    },
  };
}

async function waitHealthy(url, deadline = Date.now() + START_TIMEOUT_MS) {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health/ready`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url}/health/ready did not answer 200 in time`);
}
