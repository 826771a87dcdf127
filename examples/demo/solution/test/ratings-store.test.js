import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRatingsStore } from '../src/ratings-store.js';

test('a book without ratings has no average', () => {
  assert.deepEqual(createRatingsStore().summary('dune'), { count: 0, average: null });
});

test('the summary counts ratings and averages them to one decimal', () => {
  const store = createRatingsStore();
  store.add('dune', 5);
  store.add('dune', 4);
  store.add('dune', 4);
  store.add('hyperion', 1);
  assert.deepEqual(store.summary('dune'), { count: 3, average: 4.3 });
  assert.deepEqual(store.summary('hyperion'), { count: 1, average: 1 });
});
