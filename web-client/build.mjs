// Builds the browser client (served by the gateway at /):
//   sframe-worker-<hash>.js  the SFrame encoded-transform module worker (src/media/sframe-worker.js)
//   app-<hash>.js            the app (src/app/main.js with the protocol core, CallSession, noble)
//   app-<hash>.css           the style sheet
//   index.html               the page, naming the hashed files (no inline script or style)
//   BUNDLE-SHA256.txt        SHA-256 of every file above, sha256sum format, also printed, so a
//                            security-minded user can check what the gateway serves them.
//
// Two builds from the same sources:
//   node build.mjs               dist/: what the gateway serves. Every test-hook region of src/
//                                (between `// test-hook:begin` and `// test-hook:end` lines) is
//                                left out before esbuild sees the file, so no `...ForTestingOnly`
//                                entry point, no `__hybridgeTestConfig` switch and no
//                                `window.__hybridge` hook is in it (test/bundle.test.js checks).
//   node build.mjs --test-hooks  dist-test/: the same with the hooks, for the browser tests and
//                                the benchmark (test/support/gateway.js serves it).
// Node runs src/ as it is (hooks included): the unit and integration tests need them.
// --dev: no minification, for reading the bundle.

import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');

/** The production and test output directories. */
export const DIST = join(here, 'dist');
export const DIST_TEST = join(here, 'dist-test');

/** A test-hook region: from a `// test-hook:begin` line to the next `// test-hook:end` line. */
const REGION = /^[ \t]*\/\/ test-hook:begin\b[^\n]*\n[\s\S]*?^[ \t]*\/\/ test-hook:end\b[^\n]*$/gm;

/**
 * `source` without its test-hook regions (each replaced by as many empty lines, so esbuild's
 * messages keep their line numbers). Throws for a marker left over: an unbalanced or nested
 * region would otherwise leave a hook in, or cut production code out.
 */
export function stripTestHooks(source, file = 'source') {
  const out = source.replace(REGION, (region) => region.replace(/[^\n]/g, ''));
  const stray = /test-hook:(begin|end)/.exec(out);
  if (stray !== null) {
    const line = out.slice(0, stray.index).split('\n').length;
    throw new Error(
      `${file}:${line}: unbalanced test-hook marker (regions are not nested; each begin has one end)`,
    );
  }
  return out;
}

/** esbuild plugin: every .js file under src/ without its test-hook regions. */
const stripTestHooksPlugin = {
  name: 'strip-test-hooks',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(src)) return undefined; // node_modules: as they are
      const text = await readFile(args.path, 'utf8');
      return { contents: stripTestHooks(text, relative(here, args.path)), loader: 'js' };
    });
  },
};

function outputOf(result, outdir, entry) {
  for (const [file, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint === entry) return relative(outdir, resolve(here, file));
  }
  throw new Error(`no output for ${entry}`);
}

/**
 * Builds the client into `outdir`; `testHooks` keeps the test-hook regions. Returns the
 * BUNDLE-SHA256.txt text.
 */
export async function buildClient({ outdir, testHooks = false, dev = false }) {
  const common = {
    bundle: true,
    format: 'esm',
    target: ['chrome120', 'firefox121', 'safari17'],
    minify: !dev,
    sourcemap: false,
    legalComments: 'eof',
    entryNames: '[name]-[hash]',
    outdir,
    metafile: true,
    logLevel: 'warning',
    charset: 'utf8',
    absWorkingDir: here,
    plugins: testHooks ? [] : [stripTestHooksPlugin],
  };

  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });

  // 1. The worker first: the app needs its hashed file name.
  const workerEntry = 'src/media/sframe-worker.js';
  const worker = await esbuild.build({ ...common, entryPoints: { 'sframe-worker': workerEntry } });
  const workerFile = outputOf(worker, outdir, workerEntry);

  // 2. The app and its style sheet.
  const appEntry = 'src/app/main.js';
  const cssEntry = 'src/app/app.css';
  const app = await esbuild.build({
    ...common,
    entryPoints: { app: appEntry, 'app-style': cssEntry },
    // The Live Code editor and each of its languages are chunks the app imports when needed.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    define: { __SFRAME_WORKER_URL__: JSON.stringify(`/${workerFile}`) },
  });
  const appFile = outputOf(app, outdir, appEntry);
  const cssFile = outputOf(app, outdir, cssEntry);

  // 3. The page.
  const html = (await readFile(join(src, 'app/index.html'), 'utf8'))
    .replace('{{css}}', `/${cssFile}`)
    .replace('{{js}}', `/${appFile}`);
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html) || /\sstyle=|\son[a-z]+=/i.test(html)) {
    throw new Error(
      'index.html must hold no inline script, style attribute or event handler (CSP)',
    );
  }
  await writeFile(join(outdir, 'index.html'), html);

  // 4. The digest list.
  const files = (await readdir(outdir)).filter((f) => f !== 'BUNDLE-SHA256.txt').sort();
  let list = '';
  for (const f of files) {
    const digest = createHash('sha256')
      .update(await readFile(join(outdir, f)))
      .digest('hex');
    list += `${digest}  ${f}\n`;
  }
  await writeFile(join(outdir, 'BUNDLE-SHA256.txt'), list);
  return list;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const testHooks = process.argv.includes('--test-hooks');
  const outdir = testHooks ? DIST_TEST : DIST;
  const list = await buildClient({ outdir, testHooks, dev: process.argv.includes('--dev') });
  const name = relative(dirname(here), outdir);
  const total = createHash('sha256').update(list).digest('hex');
  process.stdout.write(
    `${name}${testHooks ? ' (WITH TEST HOOKS: never serve this)' : ''} (SHA-256 of each file; check with: cd ${name} && sha256sum -c BUNDLE-SHA256.txt)\n${list}`,
  );
  process.stdout.write(`SHA-256 of BUNDLE-SHA256.txt: ${total}\n`);
}
