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

/** @param {string} path @param {unknown} body */
const post = (path, body) => fetch(`${base}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

test('a rated book reports its count and average', async () => {
  assert.equal((await post('/books/dune/ratings', { stars: 5 })).status, 201);
  const res = await post('/books/dune/ratings', { stars: 4 });
  assert.deepEqual(await res.json(), { count: 2, average: 4.5 });
  assert.deepEqual(await (await fetch(`${base}/books/dune/ratings`)).json(), { count: 2, average: 4.5 });
});

test('an unrated book has no average', async () => {
  assert.deepEqual(await (await fetch(`${base}/books/hyperion/ratings`)).json(), { count: 0, average: null });
});

test('bad ratings answer 400 and are not counted', async () => {
  assert.equal((await post('/books/neuromancer/ratings', { stars: 9 })).status, 400);
  assert.equal((await post('/books/neuromancer/ratings', 'not json')).status, 400);
  assert.deepEqual(await (await fetch(`${base}/books/neuromancer/ratings`)).json(), { count: 0, average: null });
});

test('unknown books answer 404 and other methods 405', async () => {
  assert.equal((await post('/books/missing/ratings', { stars: 3 })).status, 404);
  assert.equal((await fetch(`${base}/books/dune/ratings`, { method: 'DELETE' })).status, 405);
});
