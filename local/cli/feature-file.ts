import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { featureRequestSchema, type FeatureRequest } from '../../lambdas/core/new-feature.js';
import { fingerprint } from '../../lambdas/use-cases/features.js';
import type { ApiClient, SubmitResult } from './api-client.js';

/** The file cannot be read, parsed or validated: a mistake on the command line, so nothing has been sent. */
export class FeatureFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FeatureFileError';
  }
}

const fileShapeSchema = z.union([z.array(z.unknown()), z.strictObject({ features: z.array(z.unknown()) })]);

/**
 * Reads a batch of feature requests: a YAML or JSON list, or `{features: [...]}`. Every
 * entry is validated before the caller sends any, so a bad entry submits nothing.
 */
export async function loadFeatureFile(path: string): Promise<FeatureRequest[]> {
  const name = basename(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FeatureFileError(`cannot read ${path}: ${error instanceof Error && 'code' in error ? String(error.code) : 'unreadable'}`, { cause: error });
  }
  let document: unknown;
  try {
    // JSON by its extension, for JSON's own error messages; YAML otherwise (a superset of JSON anyway).
    document = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    // YAML appends a code frame on the following lines; the first line names the problem and its position.
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new FeatureFileError(`invalid ${name}: ${reason}`, { cause: error });
  }
  const shape = fileShapeSchema.safeParse(document);
  if (!shape.success) throw new FeatureFileError(`invalid ${name}: must be a list of feature requests, or {features: [...]}`);
  const [entries, pointerBase] = Array.isArray(shape.data) ? [shape.data, ''] : [shape.data.features, '/features'];
  if (entries.length === 0) throw new FeatureFileError(`invalid ${name}: it lists no features`);
  return entries.map((entry, index) => {
    const parsed = featureRequestSchema.safeParse(entry);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    // A JSON pointer, as the API's problem details give them: names the entry's index and the field.
    const pointer = [pointerBase, index, ...issue.path.map(String)].join('/');
    throw new FeatureFileError(`invalid ${name}: ${pointer}: ${issue.message}`, { cause: parsed.error });
  });
}

/**
 * Same entry at the same position → same key, so re-running a file replays what was already
 * submitted instead of duplicating it. Keyed per entry rather than on the whole file: fixing or
 * appending one entry then submits only that one. The position keeps two identical entries two features.
 */
export function batchIdempotencyKey(request: FeatureRequest, index: number): string {
  return `dsf-file-${index}-${fingerprint(request).slice(0, 40)}`;
}

/** Submits the requests in order, one at a time; `onSubmitted` sees each result as it arrives. */
export async function submitFeatureFile(
  api: ApiClient,
  requests: readonly FeatureRequest[],
  onSubmitted: (result: SubmitResult, index: number) => void,
): Promise<void> {
  for (const [index, request] of requests.entries()) {
    let result: SubmitResult;
    try {
      result = await api.submitFeature(request, { idempotencyKey: batchIdempotencyKey(request, index) });
    } catch (error) {
      // The entries before this one are in; re-running the same file replays them and carries on here.
      throw new Error(`entry ${index} (${JSON.stringify(request.title)}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    onSubmitted(result, index);
  }
}
