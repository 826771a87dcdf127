export interface OctokitLog {
  debug(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

const SECRET_KEY = /^(authorization|token|private_?key|client_?secret|password)$/i;
const SECRET_TEXT = /\b(?:(?:token|bearer)\s+\S+|gh[pousr]_[A-Za-z0-9_]{20,}|github_pat_[A-Za-z0-9_]{20,})/gi;

/** Copies `value` with secret-looking keys and token-shaped strings masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(SECRET_TEXT, '[redacted]');
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, SECRET_KEY.test(key) ? '[redacted]' : redact(item, depth + 1)]));
}

/**
 * Octokit logs request errors and plugin warnings through `log`; errors carry the
 * request, headers included. Whatever reaches the sink passes through here first.
 */
export function redactingLog(sink: OctokitLog): OctokitLog {
  const wrap =
    (level: keyof OctokitLog) =>
    (message: string, ...rest: unknown[]) =>
      sink[level](String(redact(message)), ...rest.map((item) => redact(item)));
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
