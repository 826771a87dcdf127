import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small stand-in for api.github.com: exactly the REST endpoints GitHubHost uses,
 * over in-memory repositories, answering in GitHub's shapes (the fields the host
 * reads plus some realistic extras). Merges are file-level three-way merges: a
 * path changed differently on both sides conflicts. Deterministic by design.
 */

interface FakeCommit {
  readonly sha: string;
  readonly parents: string[];
  readonly message: string;
  readonly files: ReadonlyMap<string, string>;
  readonly date: string;
}

interface FakeComment {
  readonly id: number;
  readonly body: string;
  readonly createdAt: string;
}

interface FakePull {
  readonly number: number;
  readonly head: string;
  readonly base: string;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  readonly createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergeCommit: string | null;
  readonly comments: FakeComment[];
}

interface FakeRepo {
  readonly owner: string;
  readonly name: string;
  readonly defaultBranch: string;
  readonly branches: Map<string, string>;
  readonly commits: Map<string, FakeCommit>;
  readonly pulls: FakePull[];
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

type Failure = { readonly kind: 'secondary-rate-limit'; readonly retryAfter: number } | { readonly kind: 'server-error'; readonly status: number };

class HttpReply {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const notFound = (message = 'Not Found') => new HttpReply(404, { message, documentation_url: 'https://docs.github.com/rest', status: '404' });
const unprocessable = (message: string, errors?: unknown[]) =>
  new HttpReply(422, { message, errors, documentation_url: 'https://docs.github.com/rest', status: '422' });
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export class FakeGitHubServer {
  readonly requests: RecordedRequest[] = [];
  private readonly repos = new Map<string, FakeRepo>();
  private readonly failures: Failure[] = [];
  private server: Server | undefined;
  private counter = 0;
  private nextCommentId = 1_000;
  private mergeBlock: string | undefined;
  baseUrl = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server?.close((error) => (error ? reject(error) : resolve())) ?? resolve());
  }

  /** A repository whose default branch has one commit with `files`. */
  createRepository(fullName: string, files: Record<string, string> = { 'README.md': '# demo\n' }, defaultBranch = 'main'): void {
    const [owner = '', name = ''] = fullName.split('/');
    const repo: FakeRepo = { owner, name, defaultBranch, branches: new Map(), commits: new Map(), pulls: [] };
    const root = this.addCommit(repo, [], new Map(Object.entries(files)), 'Initial commit');
    repo.branches.set(defaultBranch, root.sha);
    this.repos.set(fullName, repo);
  }

  /** A branch at the head of `from`, made directly (no API request), as a push by someone else would. */
  createBranch(fullName: string, branch: string, from: string): void {
    const repo = this.repos.get(fullName);
    const head = repo?.branches.get(from);
    if (!repo || !head) throw new Error(`no branch ${from} in ${fullName}`);
    repo.branches.set(branch, head);
  }

  /** One commit with `files` on top of `branch`, as a push by someone else would. */
  commitFiles(fullName: string, branch: string, files: Record<string, string>, message = 'Update files'): string {
    const repo = this.repos.get(fullName);
    const head = repo?.branches.get(branch);
    if (!repo || !head) throw new Error(`no branch ${branch} in ${fullName}`);
    const tree = new Map(repo.commits.get(head)!.files);
    for (const [path, content] of Object.entries(files)) tree.set(path, content);
    const commit = this.addCommit(repo, [head], tree, message);
    repo.branches.set(branch, commit.sha);
    return commit.sha;
  }

  /** The next `count` requests get a 403 secondary rate limit with this retry-after (seconds). */
  failWithSecondaryRateLimit(count: number, retryAfter = 0): void {
    for (let i = 0; i < count; i++) this.failures.push({ kind: 'secondary-rate-limit', retryAfter });
  }

  /** While set, merging any pull request is refused as a protected branch with a required check would be. */
  blockMerges(reason: string | undefined): void {
    this.mergeBlock = reason;
  }

  /** The next `count` requests get this server error. */
  failWithServerError(count: number, status = 502): void {
    for (let i = 0; i < count; i++) this.failures.push({ kind: 'server-error', status });
  }

  private addCommit(repo: FakeRepo, parents: string[], files: ReadonlyMap<string, string>, message: string): FakeCommit {
    const sha = createHash('sha1')
      .update(`${this.counter++}\0${parents.join(',')}\0${message}\0${JSON.stringify([...files].sort())}`)
      .digest('hex');
    const commit: FakeCommit = { sha, parents, message, files, date: now() };
    repo.commits.set(sha, commit);
    return commit;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.github');
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, authorization: req.headers.authorization });
    let reply: HttpReply;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const body: Record<string, unknown> = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const failure = this.failures.shift();
      if (failure?.kind === 'secondary-rate-limit') {
        reply = new HttpReply(
          403,
          { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest' },
          { 'retry-after': String(failure.retryAfter) },
        );
      } else if (failure?.kind === 'server-error') {
        reply = new HttpReply(failure.status, { message: 'Server Error' });
      } else {
        reply = this.route(req.method ?? 'GET', url, body, req.headers.authorization);
      }
    } catch (error) {
      reply = new HttpReply(500, { message: String(error) });
    }
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'x-github-request-id': `FAKE:${this.counter}`, ...reply.headers });
    res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  }

  private route(method: string, url: URL, body: Record<string, unknown>, authorization: string | undefined): HttpReply {
    const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (method === 'POST' && segments[0] === 'app' && segments[1] === 'installations' && segments[3] === 'access_tokens') {
      return this.mintInstallationToken(Number(segments[2]), authorization);
    }
    if (segments[0] !== 'repos' || segments.length < 3) return notFound();
    const repo = this.repos.get(`${segments[1]}/${segments[2]}`);
    if (!repo) return notFound();
    const [resource = '', ...rest] = segments.slice(3);
    const tail = rest.join('/');
    const q = url.searchParams;

    if (method === 'GET' && resource === '') return new HttpReply(200, this.repoJson(repo));
    if (method === 'GET' && resource === 'branches') return this.listBranches(repo, url);
    if (method === 'GET' && resource === 'git' && rest[0] === 'ref') return this.getRef(repo, rest.slice(1).join('/'));
    if (method === 'POST' && resource === 'git' && rest[0] === 'refs') return this.createRef(repo, body);
    if (method === 'GET' && resource === 'contents') return this.getContent(repo, q.get('ref') ?? repo.defaultBranch, tail);
    if (method === 'GET' && resource === 'commits') {
      const commit = this.resolve(repo, tail);
      return commit ? new HttpReply(200, this.commitJson(repo, commit)) : unprocessable(`No commit found for SHA: ${tail}`);
    }
    if (method === 'GET' && resource === 'compare') return this.compare(repo, tail);
    if (method === 'POST' && resource === 'merges') return this.merge(repo, body);
    if (resource === 'pulls') return this.pulls(repo, method, rest, q, body);
    if (resource === 'issues' && rest[1] === 'comments') return this.comments(repo, method, Number(rest[0]), body);
    return notFound();
  }

  /** Installation tokens minted so far, by the app JWT's `iss`; the JWT's signature is not checked. */
  readonly mintedTokens: { readonly installationId: number; readonly appId: string; readonly token: string }[] = [];

  private mintInstallationToken(installationId: number, authorization: string | undefined): HttpReply {
    const jwt = /^bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    const payload = jwt?.split('.')[1];
    if (!payload) return new HttpReply(401, { message: 'A JSON web token could not be decoded' });
    const { iss } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss: unknown };
    const token = `ghs_${createHash('sha1').update(`${installationId}:${this.mintedTokens.length}`).digest('hex')}`;
    this.mintedTokens.push({ installationId, appId: String(iss), token });
    return new HttpReply(201, {
      token,
      expires_at: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      permissions: { contents: 'write', pull_requests: 'write', metadata: 'read' },
      repository_selection: 'selected',
    });
  }

  private resolve(repo: FakeRepo, ref: string): FakeCommit | undefined {
    const sha = repo.branches.get(ref) ?? ref;
    return repo.commits.get(sha);
  }

  private repoJson(repo: FakeRepo) {
    return {
      id: 1_296_269,
      node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5',
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      owner: { login: repo.owner, id: 1, type: 'Organization' },
      private: true,
      html_url: `https://github.com/${repo.owner}/${repo.name}`,
      default_branch: repo.defaultBranch,
      visibility: 'private',
      permissions: { admin: false, push: true, pull: true },
    };
  }

  private listBranches(repo: FakeRepo, url: URL): HttpReply {
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    const all = [...repo.branches].sort(([a], [b]) => (a < b ? -1 : 1));
    const slice = all.slice((page - 1) * perPage, page * perPage).map(([name, sha]) => ({
      name,
      commit: { sha, url: `${this.baseUrl}/repos/${repo.owner}/${repo.name}/commits/${sha}` },
      protected: false,
    }));
    const headers: Record<string, string> = {};
    if (page * perPage < all.length) {
      const next = new URL(url.pathname, this.baseUrl);
      next.searchParams.set('per_page', String(perPage));
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next.href}>; rel="next"`;
    }
    return new HttpReply(200, slice, headers);
  }

  private refJson(repo: FakeRepo, branch: string, sha: string) {
    return {
      ref: `refs/heads/${branch}`,
      node_id: 'MDM6UmVmcmVmcy9oZWFkcy9mZWF0dXJlQQ==',
      url: `${this.baseUrl}/repos/${repo.owner}/${repo.name}/git/refs/heads/${branch}`,
      object: { type: 'commit', sha, url: `${this.baseUrl}/repos/${repo.owner}/${repo.name}/git/commits/${sha}` },
    };
  }

  private getRef(repo: FakeRepo, ref: string): HttpReply {
    const branch = ref.replace(/^heads\//, '');
    const sha = repo.branches.get(branch);
    return sha ? new HttpReply(200, this.refJson(repo, branch, sha)) : notFound();
  }

  private createRef(repo: FakeRepo, body: Record<string, unknown>): HttpReply {
    const ref = String(body.ref ?? '');
    const sha = String(body.sha ?? '');
    if (!ref.startsWith('refs/heads/')) return unprocessable('Reference name must start with refs/heads/');
    const branch = ref.slice('refs/heads/'.length);
    if (!repo.commits.has(sha)) return unprocessable('Object does not exist');
    if (repo.branches.has(branch)) return unprocessable('Reference already exists');
    repo.branches.set(branch, sha);
    return new HttpReply(201, this.refJson(repo, branch, sha));
  }

  private getContent(repo: FakeRepo, ref: string, path: string): HttpReply {
    const commit = this.resolve(repo, ref);
    if (!commit) return notFound(`No commit found for the ref ${ref}`);
    const content = commit.files.get(path);
    if (content === undefined) return notFound();
    const base64 = Buffer.from(content, 'utf8').toString('base64');
    return new HttpReply(200, {
      type: 'file',
      encoding: 'base64',
      size: Buffer.byteLength(content),
      name: path.split('/').pop(),
      path,
      sha: createHash('sha1').update(`blob ${Buffer.byteLength(content)}\0${content}`).digest('hex'),
      // GitHub wraps the base64 at 60 characters.
      content: base64.replace(/(.{60})/g, '$1\n'),
      url: `${this.baseUrl}/repos/${repo.owner}/${repo.name}/contents/${path}?ref=${ref}`,
    });
  }

  private commitJson(repo: FakeRepo, commit: FakeCommit) {
    const person = { name: 'Fake', email: 'fake@example.com', date: commit.date };
    return {
      sha: commit.sha,
      node_id: 'C_kwDOAAAAAA',
      commit: { author: person, committer: person, message: commit.message, tree: { sha: 'f'.repeat(40) }, comment_count: 0 },
      parents: commit.parents.map((sha) => ({ sha, url: `${this.baseUrl}/repos/${repo.owner}/${repo.name}/commits/${sha}` })),
      html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${commit.sha}`,
    };
  }

  private ancestors(repo: FakeRepo, sha: string): string[] {
    const seen: string[] = [];
    const queue = [sha];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (seen.includes(next)) continue;
      seen.push(next);
      queue.push(...repo.commits.get(next)!.parents);
    }
    return seen;
  }

  private mergeBase(repo: FakeRepo, a: string, b: string): FakeCommit {
    const ofA = new Set(this.ancestors(repo, a));
    return repo.commits.get(this.ancestors(repo, b).find((sha) => ofA.has(sha))!)!;
  }

  private changedSince(base: FakeCommit, tip: FakeCommit): string[] {
    const paths = new Set([...base.files.keys(), ...tip.files.keys()]);
    return [...paths].filter((path) => base.files.get(path) !== tip.files.get(path)).sort();
  }

  private compare(repo: FakeRepo, basehead: string): HttpReply {
    const [baseRef = '', headRef = ''] = basehead.split('...');
    const base = this.resolve(repo, baseRef);
    const head = this.resolve(repo, headRef);
    if (!base || !head) return notFound();
    const mergeBase = this.mergeBase(repo, base.sha, head.sha);
    return new HttpReply(200, {
      status: 'diverged',
      merge_base_commit: this.commitJson(repo, mergeBase),
      files: this.changedSince(mergeBase, head).map((filename) => ({ filename, status: head.files.has(filename) ? 'modified' : 'removed', sha: '0'.repeat(40) })),
      commits: [],
    });
  }

  /** File-level three-way merge of `theirs` into `ours`; a merge commit with parents [ours, theirs]. */
  private threeWay(repo: FakeRepo, ours: FakeCommit, theirs: FakeCommit, message: string): FakeCommit | { conflicts: string[] } {
    const base = this.mergeBase(repo, ours.sha, theirs.sha);
    const result = new Map(ours.files);
    const conflicts: string[] = [];
    for (const path of this.changedSince(base, theirs)) {
      const [b, o, t] = [base.files.get(path), ours.files.get(path), theirs.files.get(path)];
      if (o === b || o === t) {
        if (t === undefined) result.delete(path);
        else result.set(path, t);
      } else {
        conflicts.push(path);
      }
    }
    if (conflicts.length > 0) return { conflicts };
    return this.addCommit(repo, [ours.sha, theirs.sha], result, message);
  }

  private merge(repo: FakeRepo, body: Record<string, unknown>): HttpReply {
    const baseBranch = String(body.base);
    const ours = this.resolve(repo, baseBranch);
    const theirs = this.resolve(repo, String(body.head));
    if (!ours || !repo.branches.has(baseBranch)) return notFound('Base does not exist');
    if (!theirs) return notFound('Head does not exist');
    if (this.ancestors(repo, ours.sha).includes(theirs.sha)) return new HttpReply(204);
    const merged = this.threeWay(repo, ours, theirs, typeof body.commit_message === 'string' ? body.commit_message : `Merge ${String(body.head)} into ${baseBranch}`);
    if ('conflicts' in merged) return new HttpReply(409, { message: 'Merge conflict', documentation_url: 'https://docs.github.com/rest' });
    repo.branches.set(baseBranch, merged.sha);
    return new HttpReply(201, this.commitJson(repo, merged));
  }

  private pullJson(repo: FakeRepo, pull: FakePull) {
    const side = (branch: string) => ({
      label: `${repo.owner}:${branch}`,
      ref: branch,
      sha: repo.branches.get(branch) ?? '0'.repeat(40),
      repo: this.repoJson(repo),
    });
    const conflicts = pull.state === 'open' ? this.pullConflicts(repo, pull) : [];
    return {
      url: `${this.baseUrl}/repos/${repo.owner}/${repo.name}/pulls/${pull.number}`,
      id: 1_000_000 + pull.number,
      node_id: 'PR_kwDOAAAAAA',
      html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${pull.number}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: { login: 'dsf-bot[bot]', id: 2, type: 'Bot' },
      body: pull.body,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.closedAt,
      merged_at: pull.mergedAt,
      // GitHub fills this with a test merge while the pull request is open; it is only "the" merge once merged_at is set.
      merge_commit_sha: pull.mergeCommit ?? 'e'.repeat(40),
      draft: false,
      head: side(pull.head),
      base: side(pull.base),
      merged: pull.mergedAt !== null,
      mergeable: pull.state === 'open' ? conflicts.length === 0 : null,
      mergeable_state: pull.state !== 'open' ? 'unknown' : conflicts.length > 0 ? 'dirty' : this.mergeBlock ? 'blocked' : 'clean',
      comments: pull.comments.length,
    };
  }

  private pullConflicts(repo: FakeRepo, pull: FakePull): string[] {
    const ours = this.resolve(repo, pull.base);
    const theirs = this.resolve(repo, pull.head);
    if (!ours || !theirs) return [];
    const base = this.mergeBase(repo, ours.sha, theirs.sha);
    return this.changedSince(base, theirs).filter((path) => {
      const [b, o, t] = [base.files.get(path), ours.files.get(path), theirs.files.get(path)];
      return !(o === b || o === t);
    });
  }

  private pulls(repo: FakeRepo, method: string, rest: string[], q: URLSearchParams, body: Record<string, unknown>): HttpReply {
    if (rest.length === 0 && method === 'GET') {
      const state = q.get('state') ?? 'open';
      const head = q.get('head');
      const base = q.get('base');
      const found = repo.pulls.filter(
        (pull) => (state === 'all' || pull.state === state) && (!head || `${repo.owner}:${pull.head}` === head) && (!base || pull.base === base),
      );
      return new HttpReply(200, found.map((pull) => this.pullJson(repo, pull)));
    }
    if (rest.length === 0 && method === 'POST') {
      const head = String(body.head);
      const base = String(body.base);
      const invalid = [['head', head] as const, ['base', base] as const].filter(([, branch]) => !repo.branches.has(branch));
      if (invalid.length > 0) return unprocessable('Validation Failed', invalid.map(([field]) => ({ resource: 'PullRequest', field, code: 'invalid' })));
      if (repo.pulls.some((pull) => pull.state === 'open' && pull.head === head && pull.base === base)) {
        return unprocessable('Validation Failed', [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repo.owner}:${head}.` }]);
      }
      const at = now();
      const pull: FakePull = {
        number: repo.pulls.length + 1,
        head,
        base,
        title: String(body.title),
        body: typeof body.body === 'string' && body.body !== '' ? body.body : null,
        state: 'open',
        createdAt: at,
        updatedAt: at,
        closedAt: null,
        mergedAt: null,
        mergeCommit: null,
        comments: [],
      };
      repo.pulls.push(pull);
      return new HttpReply(201, this.pullJson(repo, pull));
    }
    const pull = repo.pulls.find((candidate) => candidate.number === Number(rest[0]));
    if (!pull) return notFound();
    if (rest.length === 1 && method === 'GET') return new HttpReply(200, this.pullJson(repo, pull));
    if (rest.length === 1 && method === 'PATCH') {
      if (typeof body.title === 'string') pull.title = body.title;
      if (typeof body.body === 'string') pull.body = body.body;
      if (body.state === 'closed' && pull.state === 'open') {
        pull.state = 'closed';
        pull.closedAt = now();
      }
      pull.updatedAt = now();
      return new HttpReply(200, this.pullJson(repo, pull));
    }
    if (rest[1] === 'merge' && method === 'PUT') {
      if (pull.state !== 'open') return new HttpReply(405, { message: 'Pull Request is not mergeable' });
      if (this.mergeBlock) return new HttpReply(405, { message: this.mergeBlock });
      const merged = this.threeWay(repo, this.resolve(repo, pull.base)!, this.resolve(repo, pull.head)!, String(body.commit_message ?? `Merge pull request #${pull.number}`));
      if ('conflicts' in merged) return new HttpReply(405, { message: 'Pull Request is not mergeable' });
      repo.branches.set(pull.base, merged.sha);
      const at = now();
      Object.assign(pull, { state: 'closed', mergedAt: at, closedAt: at, updatedAt: at, mergeCommit: merged.sha });
      return new HttpReply(200, { sha: merged.sha, merged: true, message: 'Pull Request successfully merged' });
    }
    return notFound();
  }

  private comments(repo: FakeRepo, method: string, number: number, body: Record<string, unknown>): HttpReply {
    const pull = repo.pulls.find((candidate) => candidate.number === number);
    if (!pull) return notFound();
    const json = (comment: FakeComment) => ({
      id: comment.id,
      node_id: 'IC_kwDOAAAAAA',
      body: comment.body,
      user: { login: 'dsf-bot[bot]', id: 2, type: 'Bot' },
      created_at: comment.createdAt,
      updated_at: comment.createdAt,
      html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${number}#issuecomment-${comment.id}`,
      author_association: 'NONE',
    });
    if (method === 'GET') return new HttpReply(200, pull.comments.map(json));
    if (method === 'POST') {
      const comment = { id: this.nextCommentId++, body: String(body.body), createdAt: now() };
      pull.comments.push(comment);
      return new HttpReply(201, json(comment));
    }
    return notFound();
  }
}
