import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp } from '../src/server.js';

/** @type {import('node:http').Server} */
let server;
let base = '';

before(async () => {
  server = createApp();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
});

after(() => new Promise((resolve) => server.close(() => resolve(undefined))));

test('GET /health answers ok', async () => {
  const res = await fetch(`${base}/health`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true });
});

test('GET /books lists the catalogue oldest first', async () => {
  const books = await (await fetch(`${base}/books`)).json();
  assert.deepEqual(
    books.map((/** @type {{id: string}} */ book) => book.id),
    ['dune', 'neuromancer', 'hyperion'],
  );
});

test('GET /books/:id finds one book or answers 404', async () => {
  assert.equal((await (await fetch(`${base}/books/dune`)).json()).author, 'Frank Herbert');
  assert.equal((await fetch(`${base}/books/missing`)).status, 404);
});

test('unknown routes answer 404', async () => {
  assert.equal((await fetch(`${base}/nope`)).status, 404);
});
