import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocalOptions {
  /** Persist under this directory; in memory when absent. */
  readonly dataDir?: string;
  /** A fixed port; a free one is picked when absent. */
  readonly port?: number;
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export class JavaMissingError extends Error {
  constructor() {
    super('DynamoDB Local needs Java 17 or later on the PATH (Debian/Ubuntu: apt-get install -y default-jre-headless)');
    this.name = 'JavaMissingError';
  }
}

function emulatorDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts DynamoDB Local (the jar shipped in amplify-dynamodb-simulator) and waits until it answers.
 *
 * The JVM runs under a small shell guard that reads our stdin: when this process
 * dies, even by SIGKILL, the pipe closes and the guard kills Java, so no orphan
 * keeps the port or the database files locked for the next start.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) throw new JavaMissingError();
  const dir = emulatorDirectory();
  const port = options.port ?? (await freePort());
  const storage = options.dataDir ? (mkdirSync(options.dataDir, { recursive: true }), ['-dbPath', options.dataDir]) : ['-inMemory'];
  const javaArgs = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-Xms64m',
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    ...storage,
    '-sharedDb',
    '-port',
    String(port),
  ];
  const guard = 'java "$@" & pid=$!; trap "kill $pid 2>/dev/null" EXIT TERM INT; cat >/dev/null; kill $pid 2>/dev/null; wait $pid';
  const child: ChildProcess = spawn('sh', ['-c', guard, 'dynamodb-local', ...javaArgs], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const endpoint = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with ${child.exitCode}: ${stderr.trim()}`);
      try {
        await client.send(new ListTablesCommand({}));
        return { endpoint, stop };
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} in time: ${stderr.trim()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
}
