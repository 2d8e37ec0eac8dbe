// Debian's Janus (1.x) for the browser tests, on loopback with a generated configuration: only
// the VideoRoom plugin and the WebSockets transport (each from a folder holding just that one
// library), the API on 127.0.0.1, ICE on the loopback interface only (the pages run Chromium
// with --allow-loopback-in-peer-connection). The gateway's own tests do the same in Java
// (gateway/src/test/java/dev/hybridge/gateway/sfu/JanusServer.java). `./hybridge test` installs
// the package.
//
//   const janus = await startJanus();   // janus.url: ws://127.0.0.1:<port>
//   await janus.kill(); await janus.launch();   // a crash and a restart on the same port
//   await janus.stop();

import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  openSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = '/usr/bin/janus';
const LIBS = '/usr/lib/x86_64-linux-gnu/janus';

export function janusInstalled() {
  return (
    existsSync(BINARY) &&
    existsSync(join(LIBS, 'plugins/libjanus_videoroom.so')) &&
    existsSync(join(LIBS, 'transports/libjanus_websockets.so'))
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function listening(port) {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port }, () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function startJanus() {
  const dir = mkdtempSync(join(tmpdir(), 'hybridge-janus-'));
  const port = await freePort();
  const conf = join(dir, 'conf');
  const plugins = join(dir, 'plugins');
  const transports = join(dir, 'transports');
  for (const d of [conf, plugins, transports]) mkdirSync(d);
  symlinkSync(join(LIBS, 'plugins/libjanus_videoroom.so'), join(plugins, 'libjanus_videoroom.so'));
  symlinkSync(
    join(LIBS, 'transports/libjanus_websockets.so'),
    join(transports, 'libjanus_websockets.so'),
  );
  writeFileSync(
    join(conf, 'janus.jcfg'),
    `general: {\n\tconfigs_folder = "${conf}"\n\tplugins_folder = "${plugins}"\n` +
      `\ttransports_folder = "${transports}"\n\tevents_folder = "${dir}/none"\n` +
      `\tloggers_folder = "${dir}/none"\n\tdebug_level = 3\n\tsession_timeout = 60\n}\n` +
      `media: {\n\trtp_port_range = "20000-40000"\n}\nnat: {\n\tice_enforce_list = "lo"\n}\n`,
  );
  writeFileSync(
    join(conf, 'janus.transport.websockets.jcfg'),
    `general: {\n\tjson = "plain"\n\tws = true\n\tws_port = ${port}\n\tws_ip = "127.0.0.1"\n\twss = false\n}\nadmin: {\n\tadmin_ws = false\n}\n`,
  );
  writeFileSync(join(conf, 'janus.plugin.videoroom.jcfg'), 'general: {\n}\n');
  const log = join(dir, 'janus.log');
  let child = null;

  async function launch() {
    const out = openSync(log, 'a');
    child = spawn(BINARY, ['-F', conf, '-C', join(conf, 'janus.jcfg'), '-o'], {
      stdio: ['ignore', out, out],
    });
    const exited = new Promise((r) => child.once('exit', r));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await listening(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await exited;
    throw new Error(`janus did not listen:\n${readFileSync(log, 'utf8').slice(-4000)}`);
  }

  /** SIGKILL (a crash, not a clean stop), and wait until it is gone. */
  async function kill() {
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  await launch();
  return {
    url: `ws://127.0.0.1:${port}`,
    log: () => readFileSync(log, 'utf8'),
    launch,
    kill,
    /** The process's CPU time so far (user + system, seconds), from /proc. */
    cpuSeconds() {
      const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
