import { parse as parseYaml } from 'yaml';
import { GateConfigError, parseGateConfig, type GateConfig } from '../core/gate-policy.js';
import { readAtCommit } from './git-checkout.js';

export const CONFIG_FILES = ['.dsf.json', '.dsf.yml', '.dsf.yaml'] as const;

/**
 * The gate configuration of a repository, read at the base commit rather than
 * the head: a change must not be able to loosen the gates it is judged by.
 * No file means the defaults; two files, or one that does not parse or
 * validate, is a GateConfigError naming the file and the field.
 */
export async function loadGateConfig(repoDir: string, baseCommit: string): Promise<{ config: GateConfig; file: string | null }> {
  const found = (await Promise.all(CONFIG_FILES.map(async (file) => ({ file, content: await readAtCommit(repoDir, baseCommit, file) })))).filter(
    (entry): entry is { file: (typeof CONFIG_FILES)[number]; content: string } => entry.content !== undefined,
  );
  if (found.length === 0) return { config: parseGateConfig({}, '(defaults)'), file: null };
  if (found.length > 1) throw new GateConfigError(found[1]!.file, '', `conflicts with ${found[0]!.file}; keep one of them`);
  const { file, content } = found[0]!;
  return { config: parseGateConfig(parseConfigText(file, content), file), file };
}

export function parseConfigText(file: string, content: string): unknown {
  try {
    return file.endsWith('.json') ? (JSON.parse(content) as unknown) : (parseYaml(content) as unknown);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new GateConfigError(file, '', `is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${reason}`, { cause: error });
  }
}
