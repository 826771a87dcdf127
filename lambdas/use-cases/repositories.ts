import { z } from 'zod';
import { repoNameSchema } from '../core/feature.js';
import type { RepositoryRegistry, RepositorySummary } from '../ports/git-host.js';

/** `POST /repos`: a name as features use it, and where to import the repository from. */
export const addRepositoryRequestSchema = z.strictObject({
  name: repoNameSchema,
  /** A path on the server's machine or a file:// URL. */
  source: z.string().min(1).max(4_096),
});
export type AddRepositoryRequest = z.infer<typeof addRepositoryRequestSchema>;

export interface RepositoryUseCaseDeps {
  readonly repositories: RepositoryRegistry;
}

export async function addRepository(deps: RepositoryUseCaseDeps, request: AddRepositoryRequest): Promise<RepositorySummary> {
  return deps.repositories.importRepository(request.name, request.source);
}

export async function listRepositories(deps: RepositoryUseCaseDeps): Promise<RepositorySummary[]> {
  return deps.repositories.listRepositories();
}
