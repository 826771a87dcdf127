import { createServer } from 'node:http';
import { findBook, listBooks } from './books.js';
import { createRatingsStore } from './ratings-store.js';
import { parseStars } from './validate.js';

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<unknown>} the JSON body, or undefined when it is not JSON
 */
async function readJson(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * @param {{ ratings?: ReturnType<typeof createRatingsStore> }} [options]
 * @returns {import('node:http').Server} the bookshelf HTTP API (not yet listening)
 */
export function createApp({ ratings = createRatingsStore() } = {}) {
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true });
    if (req.method === 'GET' && url.pathname === '/books') return send(res, 200, listBooks());
    const rated = /^\/books\/([a-z0-9-]+)\/ratings$/.exec(url.pathname);
    if (rated) {
      const book = findBook(rated[1] ?? '');
      if (!book) return send(res, 404, { error: 'no such book' });
      if (req.method === 'GET') return send(res, 200, ratings.summary(book.id));
      if (req.method === 'POST') {
        const parsed = parseStars(await readJson(req));
        if (!parsed.ok) return send(res, 400, { error: parsed.error });
        ratings.add(book.id, parsed.stars);
        return send(res, 201, ratings.summary(book.id));
      }
      return send(res, 405, { error: 'method not allowed' });
    }
    const match = /^\/books\/([a-z0-9-]+)$/.exec(url.pathname);
    if (req.method === 'GET' && match) {
      const book = findBook(match[1] ?? '');
      return book ? send(res, 200, book) : send(res, 404, { error: 'no such book' });
    }
    return send(res, 404, { error: 'not found' });
  });
}
