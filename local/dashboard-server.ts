import { createReadStream, statSync, type Stats } from 'node:fs';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@aws-lambda-powertools/logger';
import { featureIdSchema } from '../lambdas/core/feature.js';
import type { FeatureStore } from '../lambdas/ports/feature-store.js';

/** Where `npm run build:dashboard` writes the web UI. */
export const DASHBOARD_DIST = resolve(fileURLToPath(new URL('../dashboard/dist', import.meta.url)));

export interface DashboardServerOptions {
  readonly store: Pick<FeatureStore, 'getFeature' | 'listEvents'>;
  readonly logger: Logger;
  /** The built dashboard; default dashboard/dist. */
  readonly staticDir?: string;
  /** How often an open stream asks the store for new events (default 250 ms). */
  readonly pollEveryMs?: number;
  /** How often an idle stream sends a heartbeat event (default 15 s), so proxies and clients know it is alive. */
  readonly heartbeatEveryMs?: number;
}

export interface DashboardServer {
  /**
   * Answers the request if it is the dashboard's (static files, the event stream, a browser
   * opening a view's URL) and returns true; returns false to leave it to the API.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Ends every open stream and waits until none touches the store any more. */
  close(): Promise<void>;
  readonly openStreams: number;
}

const STREAM_PATH = /^\/features\/([^/]+)\/stream\/?$/;
const EVENT_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const PAGE = 500;
/** The browser waits this long before it reconnects a dropped stream (it resumes from Last-Event-ID). */
const RETRY_MS = 2000;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * The views a person may type or paste as a path. The UI routes on the URL fragment (the
 * API owns `/features/*`), so a browser that navigates to one of these paths is sent to the
 * same view under `/#`. Only navigations that ask for HTML first are redirected: curl, the
 * CLI and `fetch` accept anything or JSON, and keep getting the API.
 */
const VIEW_REDIRECTS: readonly [RegExp, (match: RegExpExecArray) => string][] = [
  [/^\/features\/?$/, () => '/#/'],
  [/^\/features\/(feat_[0-9A-HJKMNP-TV-Z]{26})\/?$/, (m) => `/#/features/${m[1]}`],
  [/^\/metrics\/?$/, () => '/#/metrics'],
  [/^\/new\/?$/, () => '/#/new'],
];

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

const INDEX_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface OpenStream {
  readonly controller: AbortController;
  readonly done: Promise<void>;
  readonly res: ServerResponse;
}

export function createDashboardServer(options: DashboardServerOptions): DashboardServer {
  const staticDir = resolve(options.staticDir ?? DASHBOARD_DIST);
  const pollEveryMs = options.pollEveryMs ?? 250;
  const heartbeatEveryMs = options.heartbeatEveryMs ?? 15_000;
  const streams = new Set<OpenStream>();
  let closing = false;

  function problem(res: ServerResponse, status: number, title: string, detail: string, instance: string): void {
    res.writeHead(status, { 'content-type': 'application/problem+json', ...SECURITY_HEADERS });
    res.end(JSON.stringify({ type: 'about:blank', title, status, detail, instance }));
  }

  /** The file under staticDir that `pathname` names, if there is one; never anything outside it. */
  function staticFile(pathname: string): { path: string; stats: Stats } | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    if (decoded.includes('\0')) return undefined;
    const path = resolve(join(staticDir, decoded === '/' ? 'index.html' : decoded));
    const inside = relative(staticDir, path);
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return undefined;
    try {
      const stats = statSync(path);
      return stats.isFile() ? { path, stats } : undefined;
    } catch {
      return undefined;
    }
  }

  function serveFile(req: IncomingMessage, res: ServerResponse, file: { path: string; stats: Stats }): void {
    const isIndex = file.path === join(staticDir, 'index.html');
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file.path)] ?? 'application/octet-stream',
      'content-length': String(file.stats.size),
      // Vite puts a content hash in every asset name; index.html names the current ones.
      'cache-control': file.path.startsWith(join(staticDir, 'assets') + sep) ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...SECURITY_HEADERS,
      ...(isIndex ? { 'content-security-policy': INDEX_CSP } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file.path)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  function notBuilt(res: ServerResponse): void {
    res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS });
    res.end(
      '<!doctype html><html lang="en"><meta charset="utf-8"><title>DSF</title><h1>The dashboard is not built</h1>' +
        '<p>Run <code>npm run build:dashboard</code> (<code>npm start</code> does it for you), then reload. The HTTP API works meanwhile.</p></html>',
    );
  }

  async function stream(req: IncomingMessage, res: ServerResponse, rawId: string, url: URL): Promise<void> {
    const featureId = decodeURIComponent(rawId);
    const lastEventId = headerValue(req, 'last-event-id') ?? url.searchParams.get('after') ?? undefined;
    if (lastEventId !== undefined && !EVENT_ID.test(lastEventId)) {
      return problem(res, 400, 'Invalid request', 'Last-Event-ID (or ?after=) must be an event id.', url.pathname);
    }
    if (!featureIdSchema.safeParse(featureId).success || !(await options.store.getFeature(featureId))) {
      return problem(res, 404, 'Not found', `feature ${featureId} does not exist`, url.pathname);
    }
    if (closing) return problem(res, 503, 'Service unavailable', 'The server is stopping.', url.pathname);
    if (res.destroyed) return;

    const controller = new AbortController();
    const { signal } = controller;
    const stop = () => controller.abort();
    req.on('close', stop);
    res.on('close', stop);

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Tells buffering proxies (nginx) to pass events through as they come.
      'x-accel-buffering': 'no',
      ...SECURITY_HEADERS,
    });
    res.flushHeaders();

    const write = async (chunk: string) => {
      if (signal.aborted) return;
      if (!res.write(chunk)) await once(res, 'drain', { signal }).catch(() => undefined);
    };

    const tail = async () => {
      await write(`retry: ${RETRY_MS}\n\n`);
      let after = lastEventId;
      let lastWrite = Date.now();
      while (!signal.aborted) {
        const events = await options.store.listEvents(featureId, { ...(after ? { after } : {}), limit: PAGE });
        for (const event of events) {
          await write(`id: ${event.id}\nevent: feature-event\ndata: ${JSON.stringify(event)}\n\n`);
          after = event.id;
          lastWrite = Date.now();
        }
        if (Date.now() - lastWrite >= heartbeatEveryMs) {
          await write(`event: heartbeat\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
          lastWrite = Date.now();
        }
        // A full page means more are waiting: read on at once.
        if (events.length < PAGE) await sleep(Math.min(pollEveryMs, heartbeatEveryMs), undefined, { signal }).catch(() => undefined);
      }
    };

    const entry: OpenStream = {
      controller,
      res,
      done: tail()
        .catch((error: unknown) => {
          // The client reconnects after `retry` and resumes from the last id it saw.
          options.logger.warn('event stream ended by an error', { featureId, error: error as Error });
        })
        .finally(() => {
          streams.delete(entry);
          req.off('close', stop);
          res.off('close', stop);
          if (!res.writableEnded && !res.destroyed) res.end();
        }),
    };
    streams.add(entry);
  }

  return {
    get openStreams() {
      return streams.size;
    },

    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();

      const streamMatch = STREAM_PATH.exec(url.pathname);
      if (streamMatch) {
        if (method !== 'GET') {
          res.setHeader('allow', 'GET');
          problem(res, 405, 'Method not allowed', `${method} is not allowed on ${url.pathname}`, url.pathname);
          return true;
        }
        stream(req, res, streamMatch[1]!, url).catch((error: unknown) => {
          options.logger.error('event stream failed to start', { error: error as Error });
          if (!res.headersSent) problem(res, 500, 'Internal error', 'The request could not be handled.', url.pathname);
          else res.destroy();
        });
        return true;
      }

      if (method !== 'GET' && method !== 'HEAD') return false;

      if (prefersHtml(req)) {
        for (const [pattern, target] of VIEW_REDIRECTS) {
          const match = pattern.exec(url.pathname);
          if (match) {
            res.writeHead(302, { location: target(match), vary: 'Accept', 'cache-control': 'no-cache', ...SECURITY_HEADERS });
            res.end();
            return true;
          }
        }
      }

      // The API's paths are never files, whatever dashboard/dist holds.
      if (url.pathname.startsWith('/features') || url.pathname.startsWith('/webhooks')) return false;
      const file = staticFile(url.pathname);
      if (file) {
        serveFile(req, res, file);
        return true;
      }
      if (url.pathname === '/' || url.pathname === '/index.html') {
        notBuilt(res);
        return true;
      }
      return false;
    },

    async close() {
      closing = true;
      const open = [...streams];
      for (const entry of open) {
        entry.controller.abort();
        // End the response now: a clean end of stream, before the server drops the sockets.
        if (!entry.res.writableEnded && !entry.res.destroyed) entry.res.end();
      }
      await Promise.all(open.map((entry) => entry.done));
    },
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A browser navigation: the first media range it accepts is HTML. */
function prefersHtml(req: IncomingMessage): boolean {
  const accept = headerValue(req, 'accept') ?? '';
  return /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(accept);
}
