import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStars } from '../src/validate.js';

test('accepts whole stars from 1 to 5', () => {
  assert.deepEqual(parseStars({ stars: 1 }), { ok: true, stars: 1 });
  assert.deepEqual(parseStars({ stars: 5 }), { ok: true, stars: 5 });
});

test('refuses anything else with a reason', () => {
  for (const body of [{ stars: 0 }, { stars: 6 }, { stars: 2.5 }, { stars: '4' }, {}, null, 'five']) {
    assert.deepEqual(parseStars(body), { ok: false, error: 'stars must be a whole number from 1 to 5' });
  }
});
