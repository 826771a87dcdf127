import { runProcess } from './subprocess.js';

/**
 * The Python that has a module, looked up once per process. The first
 * `python3` on PATH wins; the system one is the fallback, because version
 * managers' shims often front an interpreter without the tools installed.
 */
const PYTHON_CANDIDATES = ['python3', '/usr/bin/python3', 'python'];
const PROBE_TIMEOUT_MS = 30_000;
const cache = new Map<string, Promise<string | null>>();

export function findPythonWith(modules: readonly string[]): Promise<string | null> {
  const key = modules.join(',');
  let found = cache.get(key);
  if (!found) {
    found = (async () => {
      for (const candidate of PYTHON_CANDIDATES) {
        const probe = await runProcess(candidate, ['-c', modules.map((m) => `import ${m}`).join('; ')], { cwd: '/', timeoutMs: PROBE_TIMEOUT_MS });
        if (probe.code === 0) return candidate;
      }
      return null;
    })();
    cache.set(key, found);
  }
  return found;
}

/** A Python for pytest, preferring one that also has pytest-cov. */
export async function findPytest(): Promise<{ command: string; hasCoverage: boolean } | null> {
  const withCoverage = await findPythonWith(['pytest', 'pytest_cov']);
  if (withCoverage) return { command: withCoverage, hasCoverage: true };
  const plain = await findPythonWith(['pytest']);
  return plain ? { command: plain, hasCoverage: false } : null;
}
