// The served bundle holds no test hook (issue "test hooks are not in the production bundle"):
// no `...ForTestingOnly` entry point (secret dumps, deterministic handshakes, psk override,
// SFrame-less calls, raw sends, the hop connection), no `__hybridgeTestConfig` switch and no
// `window.__hybridge` hook. build.mjs leaves the `// test-hook:begin` .. `// test-hook:end`
// regions of src/ out of dist/ and keeps them in dist-test/ (what the browser tests serve).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DIST, buildClient, stripTestHooks } from '../build.mjs';

/** What a test hook looks like in a bundle (identifiers and property names survive minification). */
const HOOK = /\w*ForTestingOnly\b|__hybridge\w*|test-hook:/g;

/** Every hook name found in the files of `dir`, with the file it is in. */
function hooksIn(dir) {
  const found = [];
  for (const f of readdirSync(dir)) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(HOOK)) found.push(`${f}: ${m[0]}`);
  }
  return found;
}

async function buildInto(testHooks) {
  const dir = mkdtempSync(join(tmpdir(), 'hybridge-bundle-'));
  await buildClient({ outdir: dir, testHooks });
  return dir;
}

test('a production build holds no test hook; the test build holds them (so the check can see one)', async () => {
  const prod = await buildInto(false);
  const withHooks = await buildInto(true);
  try {
    assert.deepEqual(hooksIn(prod), []);
    const names = new Set(hooksIn(withHooks).map((h) => h.split(': ')[1]));
    for (const name of [
      '__hybridgeTestConfig',
      '__hybridge',
      'secretsForTestingOnly',
      'pskOverrideForTestingOnly',
      'noSFrameForTestingOnly',
      'sendForTestingOnly',
      'sendBytesForTestingOnly',
      'connectionForTestingOnly',
      'startForTestingOnly',
      'startingAtForTestingOnly',
      'getRandomValuesForTestingOnly',
    ]) {
      assert.ok(
        names.has(name),
        `the test build lacks ${name}: the hook moved or was renamed, and this test would no longer see it`,
      );
    }
  } finally {
    rmSync(prod, { recursive: true, force: true });
    rmSync(withHooks, { recursive: true, force: true });
  }
});

test('web-client/dist, the bundle the gateway serves, holds no test hook', (t) => {
  // Maven builds dist/ in this module's compile phase, before `npm test`, and the gateway module
  // copies it into its jar as /web.
  if (!existsSync(DIST)) {
    t.skip('web-client/dist is not built (npm run build)');
    return;
  }
  assert.deepEqual(hooksIn(DIST), []);
});

test('stripTestHooks: removes every region, keeps line numbers, refuses an unbalanced marker', () => {
  const src =
    'a\n  // test-hook:begin\n  hook1();\n  // test-hook:end\nb\n// test-hook:begin (why)\nhook2();\n// test-hook:end\nc';
  const out = stripTestHooks(src);
  assert.equal(out, 'a\n\n\n\nb\n\n\n\nc');
  assert.throws(
    () => stripTestHooks('a\n// test-hook:begin\nhook();\n'),
    /:2: unbalanced test-hook marker/,
  );
  assert.throws(() => stripTestHooks('a\n// test-hook:end\n'), /:2: unbalanced/);
  assert.throws(
    () =>
      stripTestHooks(
        '// test-hook:begin\n// test-hook:begin\nx\n// test-hook:end\n// test-hook:end',
      ),
    /unbalanced/,
  );
});
