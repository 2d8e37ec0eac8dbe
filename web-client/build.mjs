// Builds the browser client into dist/ (served by the gateway at /):
//   sframe-worker-<hash>.js  the SFrame encoded-transform module worker (src/media/sframe-worker.js)
//   app-<hash>.js            the app (src/app/main.js with the protocol core, CallSession, noble)
//   app-<hash>.css           the style sheet
//   index.html               the page, naming the hashed files (no inline script or style)
//   BUNDLE-SHA256.txt        SHA-256 of every file above, sha256sum format, also printed, so a
//                            security-minded user can check what the gateway serves them.
// Usage: node build.mjs [--dev] (--dev: no minification, for reading the bundle)

import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const dist = join(here, 'dist');
const dev = process.argv.includes('--dev');

const common = {
  bundle: true,
  format: 'esm',
  target: ['chrome120', 'firefox121', 'safari17'],
  minify: !dev,
  sourcemap: false,
  legalComments: 'eof',
  entryNames: '[name]-[hash]',
  outdir: dist,
  metafile: true,
  logLevel: 'warning',
  charset: 'utf8',
};

function outputOf(result, entry) {
  for (const [file, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint === entry) return relative(dist, join(process.cwd(), file));
  }
  throw new Error(`no output for ${entry}`);
}

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

// 1. The worker first: the app needs its hashed file name.
const workerEntry = 'src/media/sframe-worker.js';
const worker = await esbuild.build({
  ...common,
  absWorkingDir: here,
  entryPoints: { 'sframe-worker': workerEntry },
});
const workerFile = outputOf(worker, workerEntry);

// 2. The app and its style sheet.
const appEntry = 'src/app/main.js';
const cssEntry = 'src/app/app.css';
const app = await esbuild.build({
  ...common,
  absWorkingDir: here,
  entryPoints: { app: appEntry, 'app-style': cssEntry },
  define: { __SFRAME_WORKER_URL__: JSON.stringify(`/${workerFile}`) },
});
const appFile = outputOf(app, appEntry);
const cssFile = outputOf(app, cssEntry);

// 3. The page.
const html = (await readFile(join(src, 'app/index.html'), 'utf8'))
  .replace('{{css}}', `/${cssFile}`)
  .replace('{{js}}', `/${appFile}`);
if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html) || /\sstyle=|\son[a-z]+=/i.test(html)) {
  throw new Error('index.html must hold no inline script, style attribute or event handler (CSP)');
}
await writeFile(join(dist, 'index.html'), html);

// 4. The digest list.
const files = (await readdir(dist)).filter((f) => f !== 'BUNDLE-SHA256.txt').sort();
let list = '';
for (const f of files) {
  const digest = createHash('sha256').update(await readFile(join(dist, f))).digest('hex');
  list += `${digest}  ${f}\n`;
}
await writeFile(join(dist, 'BUNDLE-SHA256.txt'), list);
const total = createHash('sha256').update(list).digest('hex');
process.stdout.write(`web-client/dist (SHA-256 of each file; check with: cd web-client/dist && sha256sum -c BUNDLE-SHA256.txt)\n${list}`);
process.stdout.write(`SHA-256 of BUNDLE-SHA256.txt: ${total}\n`);
