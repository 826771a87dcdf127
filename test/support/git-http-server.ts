import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHttpRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every request, in order, with the Authorization header it carried. */
  readonly requests: GitHttpRequest[];
  close(): Promise<void>;
}

/**
 * A real git smart-HTTP server: `git http-backend` (git's own CGI program)
 * behind a small node:http CGI bridge, serving the bare repositories under
 * `projectRoot`. A request without exactly `Authorization: <expected()>` gets
 * 401, as GitHub answers a missing or wrong token. Receive-pack (push) is
 * enabled because the bridge sets REMOTE_USER for authenticated requests.
 */
export async function startGitHttpServer(options: { projectRoot: string; expectedAuthorization: () => string }): Promise<GitHttpServer> {
  const requests: GitHttpRequest[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? 'GET', url: url.pathname + url.search, authorization: req.headers.authorization });
    if (req.headers.authorization !== options.expectedAuthorization()) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end('bad credentials\n');
      return;
    }
    const cgi = spawn('git', ['http-backend'], { env: cgiEnvironment(req, url, options.projectRoot), stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    let stderr = '';
    cgi.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    cgi.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    cgi.on('close', () => {
      // A CGI response is headers, a blank line, then the body; `Status:` sets the code.
      const output = Buffer.concat(chunks);
      const end = output.indexOf('\r\n\r\n');
      if (end === -1) {
        res.writeHead(500).end(stderr);
        return;
      }
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of output.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers).end(output.subarray(end + 4));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

function cgiEnvironment(req: IncomingMessage, url: URL, projectRoot: string): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_USER: 'x-access-token',
    REMOTE_ADDR: '127.0.0.1',
    ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
    ...(typeof req.headers['git-protocol'] === 'string' ? { GIT_PROTOCOL: req.headers['git-protocol'] } : {}),
  };
}
