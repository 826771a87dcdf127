import { redactSecrets as redactKnownTokens } from '../core/redact.js';

/**
 * What the agent loop masks before a turn reaches the transcript: the issuers'
 * token formats (lambdas/core/redact.ts, which the store applies again), plus
 * what agent sessions add — tokens of other services that show up in
 * repositories and tool output, and `name = value` assignments whose name says
 * secret. The generic rule has the odd false positive, the cheaper mistake in a
 * transcript.
 */
const EXTRA_PATTERNS: readonly RegExp[] = [
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /\bnpm_[A-Za-z0-9]{30,}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\bgh[pousr]_[A-Za-z0-9_]{20,}\b/g,
  /\b(?:bearer|token)\s+[A-Za-z0-9._~+/-]{16,}=*/gi,
];

/** `aws_secret_access_key = …`, `"password": "…"`, `API_KEY=…`: keep the name, mask the value. */
const ASSIGNMENT =
  /\b([A-Za-z0-9_.-]*(?:secret|password|passwd|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]*)(["']?\s*[:=]\s*["']?)([^\s"',;]{6,})/gi;

export const REDACTED = '[redacted]';

export function redactSecrets(text: string): string {
  let out = redactKnownTokens(text);
  for (const pattern of EXTRA_PATTERNS) out = out.replace(pattern, REDACTED);
  return out.replace(ASSIGNMENT, (match: string, name: string, separator: string, value: string) =>
    /^\[redacted/i.test(value) ? match : `${name}${separator}${REDACTED}`,
  );
}
