import { createServer } from 'node:http';
import { findBook, listBooks } from './books.js';

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** @returns {import('node:http').Server} the bookshelf HTTP API (not yet listening) */
export function createApp() {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true });
    if (req.method === 'GET' && url.pathname === '/books') return send(res, 200, listBooks());
    const match = /^\/books\/([a-z0-9-]+)$/.exec(url.pathname);
    if (req.method === 'GET' && match) {
      const book = findBook(match[1] ?? '');
      return book ? send(res, 200, book) : send(res, 404, { error: 'no such book' });
    }
    return send(res, 404, { error: 'not found' });
  });
}
