// Support for the TURN tests (coturn.test.js): a real coturn, the real gateway jar, and a Node
// client of the JS protocol core that does the hop handshake and JOIN to get the ICE servers.
//
// Prerequisites, which `./hybridge test` provides (it installs coturn and chromium with apt-get
// and builds the jar before this runs):
//   /usr/bin/turnserver (Debian's coturn), /usr/bin/chromium, gateway/target/hybridge-gateway.jar
// Node runs with --experimental-websocket (the WebSocket global; `npm run test:turn` does that).

import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { HopClient, pinnedGatewayKey, Fingerprint } from '../../src/protocol/index.js';
import { Direction, decodeRoomMessage, encodeRoomMessage } from '../../src/protocol/roomCodec.js';
import { base64UrlDecode } from '../../src/protocol/bytes.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '..', '..', '..');
export const JAR =
  process.env.HYBRIDGE_JAR ?? join(REPO_ROOT, 'gateway', 'target', 'hybridge-gateway.jar');
export const TURNSERVER = '/usr/bin/turnserver';
export const CHROMIUM = '/usr/bin/chromium';

const children = new Set();
process.on('exit', () => {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // gone
    }
  }
});

/** Fails with what to run when a prerequisite is missing: a skipped TURN test would hide a broken setup. */
export function requirePrerequisites() {
  const missing = [];
  if (!existsSync(TURNSERVER)) missing.push(`${TURNSERVER} (apt-get install coturn)`);
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  if (!existsSync(JAR)) missing.push(`${JAR} (./hybridge package)`);
  if (typeof WebSocket !== 'function')
    missing.push('the WebSocket global (run node with --experimental-websocket)');
  if (missing.length)
    throw new Error(
      `TURN test prerequisites missing: ${missing.join('; ')}. ./hybridge test installs and builds them.`,
    );
}

/** A free TCP port on 127.0.0.1 (also free for UDP in practice; coturn listens on both). */
export async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function findJava() {
  if (process.env.JAVA_HOME) return join(process.env.JAVA_HOME, 'bin', 'java');
  let best = 'java';
  let bestMajor = 0;
  try {
    for (const d of readdirSync('/usr/lib/jvm')) {
      const rel = join('/usr/lib/jvm', d, 'release');
      if (!existsSync(rel)) continue;
      const m = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(rel, 'utf8'));
      const major = m ? Number(m[1]) : 0;
      if (major >= 21 && major > bestMajor) {
        best = join('/usr/lib/jvm', d, 'bin', 'java');
        bestMajor = major;
      }
    }
  } catch {
    // no /usr/lib/jvm
  }
  return best;
}

/** Runs `cmd` until `ready` matches its output; returns { child, output(), stop() }. */
async function startProcess(name, cmd, args, ready, timeoutMs = 30_000, env = process.env) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  let out = '';
  const exited = new Promise((res) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      res({ code, signal });
    }),
  );
  const m = await new Promise((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`${name} not ready within ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const onData = (chunk) => {
      out += chunk.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
      if (process.env.HYBRIDGE_TEST_LOG) process.stderr.write(`[${name}] ${chunk}`);
      const hit = ready.exec(out);
      if (hit) {
        clearTimeout(timer);
        res(hit);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (e) => rej(new Error(`cannot run ${cmd}: ${e.message}`)));
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
  return {
    match: m,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/**
 * coturn on loopback with the TURN REST scheme (use-auth-secret): a fresh secret, no config
 * file (-n), no TLS, no CLI, relay addresses on 127.0.0.1, and loopback peers allowed (a relay
 * to the other page's relay address is a relay to 127.0.0.1).
 */
export async function startCoturn() {
  const dir = mkdtempSync(join(tmpdir(), 'hybridge-coturn-'));
  const secret = randomBytes(24).toString('hex');
  const port = await freePort();
  const minPort = 49152 + Math.floor(Math.random() * 15000);
  const realm = 'hybridge.test';
  const args = [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    `--min-port=${minPort}`,
    `--max-port=${minPort + 200}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    `--realm=${realm}`,
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--allow-loopback-peers',
    '--log-file=stdout',
    '--simple-log',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--db=${join(dir, 'turndb')}`,
    '--verbose',
  ];
  const p = await startProcess(
    'coturn',
    TURNSERVER,
    args,
    /(IPv4\. UDP listener opened on|listener opened on).*127\.0\.0\.1/,
  );
  // give it a moment to open the TCP listener and relay threads too
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    secret,
    realm,
    url: `turn:127.0.0.1:${port}?transport=udp`,
    output: p.output,
    async stop() {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** TURN REST credentials (the gateway's IceServers.mint, for the negative cases). */
export function mintTurnCredentials(secret, expiryUnixSeconds) {
  const username = `${expiryUnixSeconds}:${randomBytes(9).toString('base64url')}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** The shaded gateway jar with `hybridge` settings (JSON is YAML) on a free loopback port. */
export async function startGatewayJar(settings) {
  const dir = mkdtempSync(join(tmpdir(), 'hybridge-jar-'));
  const config = join(dir, 'gateway.yaml');
  const all = {
    server: { host: '127.0.0.1', port: 0 },
    'key-file': join(dir, 'gateway.key'),
    'log-level': 'WARNING',
    ...settings,
  };
  writeFileSync(config, JSON.stringify({ hybridge: all }, null, 2));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('HYBRIDGE_')),
  );
  const p = await startProcess(
    'gateway',
    findJava(),
    ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-jar', JAR, config],
    /Hybridge gateway at http:\/\/127\.0\.0\.1:(\d+)\//,
    60_000,
    env,
  );
  const port = Number(p.match[1]);
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    output: p.output,
    async stop() {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A WebSocket's messages as an async queue of Uint8Array; `closed` resolves with { code, reason }. */
function queue(ws) {
  const items = [];
  const waiters = [];
  let closed = null;
  const closedP = new Promise((res) =>
    ws.addEventListener('close', (e) => {
      closed = { code: e.code, reason: e.reason };
      res(closed);
      for (const w of waiters.splice(0)) w.reject(new Error(`closed ${e.code} ${e.reason}`));
    }),
  );
  ws.addEventListener('message', (e) => {
    const b = new Uint8Array(e.data);
    const w = waiters.shift();
    if (w) w.resolve(b);
    else items.push(b);
  });
  return {
    closed: closedP,
    next(timeoutMs = 10_000) {
      if (items.length) return Promise.resolve(items.shift());
      if (closed) return Promise.reject(new Error(`closed ${closed.code} ${closed.reason}`));
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no message in time')), timeoutMs);
        waiters.push({
          resolve: (v) => {
            clearTimeout(t);
            resolve(v);
          },
          reject: (e) => {
            clearTimeout(t);
            reject(e);
          },
        });
      });
    },
  };
}

/**
 * A peer as the browser app is one, minus the browser: fetches /.well-known/hybridge.json, checks
 * it against `pin` (spec/hop-handshake.md §3), does the hop handshake over a WebSocket and JOINs
 * `roomId`. Returns the JOINED message (with the ICE servers) and a close().
 */
export async function joinRoom(gateway, pin, roomId, peerPublicKey) {
  const doc = await (await fetch(`${gateway.url}/.well-known/hybridge.json`)).json();
  const pk = pinnedGatewayKey(doc, pin);
  const ws = new WebSocket(gateway.wsUrl);
  ws.binaryType = 'arraybuffer';
  const q = queue(ws);
  await new Promise((res, rej) => {
    ws.addEventListener('open', res, { once: true });
    ws.addEventListener('error', () => rej(new Error('WebSocket failed')), { once: true });
  });
  const { clientHello, next } = HopClient.start(pk);
  ws.send(clientHello);
  const { clientFinished, channel } = next.receive(await q.next());
  ws.send(clientFinished);
  ws.send(
    await channel.seal(encodeRoomMessage({ type: 'JOIN', roomId, publicKey: peerPublicKey })),
  );
  const joined = decodeRoomMessage(await channel.open(await q.next()), Direction.GATEWAY_TO_CLIENT);
  if (joined.type !== 'JOINED') throw new Error(`expected JOINED, got ${joined.type}`);
  return {
    joined,
    close() {
      ws.close(1000, 'bye');
    },
  };
}

/** The gateway's pinned fingerprint as a link would carry it (here: read from the document itself). */
export async function fingerprintOf(gateway) {
  const doc = await (await fetch(`${gateway.url}/.well-known/hybridge.json`)).json();
  return Fingerprint.of(base64UrlDecode(doc.public_key));
}
