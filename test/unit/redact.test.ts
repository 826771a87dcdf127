import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../lambdas/core/redact.js';
import { prepareTranscriptBody, truncateUtf8, INLINE_BODY_BYTES, MAX_BODY_BYTES, PREVIEW_BYTES } from '../../lambdas/core/transcript-body.js';

// Built at run time so the source holds no string a secret scanner would flag.
const join = (...parts: string[]) => parts.join('');
const secrets = {
  awsKeyId: join('AKIA', 'IOSFODNN7', 'EXAMPLE'),
  awsSecret: join('wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY'),
  ghp: join('ghp_', 'a'.repeat(36)),
  ghs: join('ghs_', 'B1'.repeat(18)),
  githubPat: join('github_pat_', '11ABCDEFG0', 'x'.repeat(60)),
  anthropic: join('sk-ant-', 'api03-', 'Z'.repeat(40)),
  openai: join('sk-', 'proj-', 'q'.repeat(40)),
  openaiLegacy: join('sk-', '9'.repeat(48)),
  bearer: join('eyJhbGciOi', 'JIUzI1NiJ9.e30.abc'),
};

describe('redactSecrets', () => {
  it.each([
    ['an AWS access key id', `key=${secrets.awsKeyId} rest`, 'key=[REDACTED:aws-access-key-id] rest'],
    ['an AWS secret access key', `aws_secret_access_key = ${secrets.awsSecret}`, 'aws_secret_access_key = [REDACTED:aws-secret-access-key]'],
    ['a GitHub personal token', `token ${secrets.ghp}.`, 'token [REDACTED:github-token].'],
    ['a GitHub app token', `GH_TOKEN=${secrets.ghs}`, 'GH_TOKEN=[REDACTED:github-token]'],
    ['a fine-grained GitHub token', `"${secrets.githubPat}"`, '"[REDACTED:github-token]"'],
    ['an Anthropic key', `ANTHROPIC_API_KEY=${secrets.anthropic}`, 'ANTHROPIC_API_KEY=[REDACTED:anthropic-key]'],
    ['an OpenAI project key', `OPENAI_API_KEY=${secrets.openai}`, 'OPENAI_API_KEY=[REDACTED:openai-key]'],
    ['a legacy OpenAI key', `${secrets.openaiLegacy} end`, '[REDACTED:openai-key] end'],
    ['a bearer Authorization header', `Authorization: Bearer ${secrets.bearer}\nAccept: */*`, 'Authorization: Bearer [REDACTED:authorization]\nAccept: */*'],
    ['a JSON authorization header', `{"authorization": "Bearer ${secrets.bearer}"}`, '{"authorization": "Bearer [REDACTED:authorization]"}'],
  ])('redacts %s', (_name, text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it('redacts a whole private key block and keeps the text around it', () => {
    const block = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEA', 'abcdef==', '-----END RSA PRIVATE KEY-----'].join('\n');

    expect(redactSecrets(`before\n${block}\nafter`)).toBe('before\n[REDACTED:private-key]\nafter');
  });

  it('redacts a private key block cut off before its END line to the end of the text', () => {
    expect(redactSecrets('key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA')).toBe('key:\n[REDACTED:private-key]');
  });

  it('leaves ordinary text, short look-alikes and public keys alone', () => {
    const text = 'git push origin main; sk-short; AKIA123; ghp_tooShort; -----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----';

    expect(redactSecrets(text)).toBe(text);
  });

  it('is idempotent', () => {
    const once = redactSecrets(`${secrets.ghp} ${secrets.anthropic} Authorization: Bearer ${secrets.bearer}`);

    expect(redactSecrets(once)).toBe(once);
    expect(once).not.toContain(secrets.ghp);
  });
});

describe('prepareTranscriptBody', () => {
  it('keeps a body up to the inline limit whole, redacted', () => {
    const body = `${'x'.repeat(INLINE_BODY_BYTES - 100)} ${secrets.ghp}`;

    expect(prepareTranscriptBody(body)).toEqual({ inline: `${'x'.repeat(INLINE_BODY_BYTES - 100)} [REDACTED:github-token]` });
  });

  it('splits a larger body into a preview and the full redacted body', () => {
    const body = `${secrets.anthropic}\n${'y'.repeat(INLINE_BODY_BYTES)}`;

    const prepared = prepareTranscriptBody(body);

    expect(prepared.full).toBe(`[REDACTED:anthropic-key]\n${'y'.repeat(INLINE_BODY_BYTES)}`);
    expect(Buffer.byteLength(prepared.inline)).toBe(PREVIEW_BYTES);
    expect(prepared.full!.startsWith(prepared.inline)).toBe(true);
  });

  it('cuts a body over the maximum and says how big it was', () => {
    const prepared = prepareTranscriptBody('z'.repeat(MAX_BODY_BYTES + 10));

    expect(Buffer.byteLength(prepared.full!)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(prepared.full).toMatch(new RegExp(`\\[cut: the body had ${MAX_BODY_BYTES + 10} bytes\\]$`));
  });
});

describe('truncateUtf8', () => {
  it('never splits a multi-byte character', () => {
    expect(truncateUtf8('ab€€', 4)).toBe('ab');
    expect(truncateUtf8('ab€€', 5)).toBe('ab€');
    expect(truncateUtf8('😀😀', 5)).toBe('😀');
    expect(truncateUtf8('short', 100)).toBe('short');
  });
});
