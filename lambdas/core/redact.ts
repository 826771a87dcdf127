/**
 * Removes credentials from text before it is stored: agent transcripts hold
 * prompts, tool input and tool output, and a tool that prints the environment
 * or a config file would otherwise put a live token in the table and the logs.
 * Patterns follow the issuers' documented formats; each match becomes
 * `[REDACTED:<kind>]`, so a reader still sees that something was there.
 */
interface SecretPattern {
  readonly kind: string;
  readonly pattern: RegExp;
  /** Groups kept in front of the marker (e.g. the `Authorization: Bearer ` of a header). */
  readonly keepPrefix?: boolean;
}

const secretPatterns: readonly SecretPattern[] = [
  // A block cut off before its END line (a truncated tool output) is redacted to the end of the text.
  { kind: 'private-key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|[\s\S]*$)/g },
  { kind: 'aws-access-key-id', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  { kind: 'aws-secret-access-key', pattern: /(aws_secret_access_key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/gi, keepPrefix: true },
  { kind: 'github-token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g },
  { kind: 'github-token', pattern: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g },
  // Before the generic sk- pattern, which would otherwise claim Anthropic keys.
  { kind: 'anthropic-key', pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { kind: 'openai-key', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'authorization', pattern: /(\bAuthorization["']?\s*[:=]\s*["']?(?:Bearer|Basic|token)\s+)[A-Za-z0-9._~+/=-]+/gi, keepPrefix: true },
];

/** `text` with every recognised secret replaced by `[REDACTED:<kind>]`. Pure; idempotent. */
export function redactSecrets(text: string): string {
  let redacted = text;
  for (const { kind, pattern, keepPrefix } of secretPatterns) {
    redacted = redacted.replace(pattern, (...match: unknown[]) => `${keepPrefix ? String(match[1]) : ''}[REDACTED:${kind}]`);
  }
  return redacted;
}
