// Links in chat text (src/app/chatLinks.js): only http(s) addresses become links, trailing
// sentence punctuation stays text, and the pieces put together give back the text as typed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitLinks } from '../src/app/chatLinks.js';

const joined = (parts) => parts.map((p) => ('url' in p ? p.shown : p.text)).join('');

test('an address in a sentence is a link; the full stop after it is not part of it', () => {
  const parts = splitLinks('see https://example.org/a?b=1#c. thanks');
  assert.deepEqual(parts, [
    { text: 'see ' },
    { url: 'https://example.org/a?b=1#c', shown: 'https://example.org/a?b=1#c' },
    { text: '. thanks' },
  ]);
});

test('only http and https: javascript:, data:, file: and bare hosts stay text', () => {
  for (const t of [
    'javascript:alert(1)',
    'data:text/html,<b>x</b>',
    'file:///etc/passwd',
    'example.org/page',
    'ftp://example.org/',
  ]) {
    assert.deepEqual(splitLinks(t), [{ text: t }], t);
  }
});

test('markup in a message is never a link target, and the text comes back as typed', () => {
  const cases = [
    'a <a href="https://evil.test">x</a> b',
    '(https://example.org/x) and https://example.org/y, then HTTPS://EXAMPLE.ORG/Z!',
    'http://[::1]:8080/path and http://user@host/',
    '',
    'no links here',
  ];
  for (const t of cases) {
    const parts = splitLinks(t);
    assert.equal(joined(parts), t, t);
    for (const p of parts) if ('url' in p) assert.match(p.url, /^https?:\/\//);
  }
  const evil = splitLinks('a <a href="https://evil.test">x</a> b').filter((p) => 'url' in p);
  assert.deepEqual(
    evil.map((p) => p.shown),
    ['https://evil.test'],
    'the quote ends the address',
  );
});
