import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import {
  InvalidRepositoryNameError,
  InvalidRepositorySourceError,
  RepoAlreadyExistsError,
  RepoNotFoundError,
} from '../../ports/git-host.js';
import { addRepository, addRepositoryRequestSchema, listRepositories, type RepositoryUseCaseDeps } from '../../use-cases/repositories.js';
import { apiHandler, json, parseJsonBody, parseQuery, type ApiEvent, type ApiHandler, type ApiResult, type RouteDefinition } from '../api-handler.js';
import { HttpError } from '../problem.js';

export interface RepoApiDeps extends RepositoryUseCaseDeps {
  readonly logger: Logger;
}

const problemType = (slug: string) => `https://dsf.dev/problems/${slug}`;

/**
 * The git host's errors as HTTP errors. They belong with the others in
 * lambdas/http/problem.ts's toHttpError; until they move there, these routes
 * map them on the way out.
 */
export function repositoryHttpError(error: unknown): unknown {
  if (error instanceof InvalidRepositoryNameError) {
    return new HttpError(400, 'Invalid request', error.message, {
      type: problemType('validation'),
      errors: [{ pointer: '/name', detail: error.reason }],
    });
  }
  if (error instanceof RepoAlreadyExistsError) return new HttpError(409, 'Conflict', error.message, { type: problemType('conflict') });
  if (error instanceof InvalidRepositorySourceError) {
    return new HttpError(422, 'Not a git repository', error.message, {
      type: problemType('invalid-repository-source'),
      errors: [{ pointer: '/source', detail: error.reason }],
    });
  }
  if (error instanceof RepoNotFoundError) return new HttpError(404, 'Not found', error.message, { type: problemType('not-found') });
  return error;
}

function mapped(handle: (event: ApiEvent) => Promise<ApiResult>) {
  return async (event: ApiEvent) => {
    try {
      return await handle(event);
    } catch (error) {
      throw repositoryHttpError(error);
    }
  };
}

export function createAddRepositoryHandler(deps: RepoApiDeps): ApiHandler {
  return apiHandler(
    deps.logger,
    mapped(async (event) => {
      const request = parseJsonBody(event, addRepositoryRequestSchema);
      const repository = await addRepository(deps, request);
      deps.logger.info('repository imported', { repo: repository.name, defaultBranch: repository.defaultBranch });
      return json(201, repository);
    }),
  );
}

export function createListRepositoriesHandler(deps: RepoApiDeps): ApiHandler {
  return apiHandler(
    deps.logger,
    mapped(async (event) => {
      parseQuery(event, z.strictObject({}));
      return json(200, { items: await listRepositories(deps) });
    }),
  );
}

/**
 * The repository routes of the local runtime: import a repository into the local git host, list them.
 * No Lambda serves these: on AWS the repositories are those the GitHub App is installed on.
 */
export const repoRoutes: readonly RouteDefinition<RepoApiDeps>[] = [
  { routeKey: 'POST /repos', entry: 'add-repository', create: createAddRepositoryHandler },
  { routeKey: 'GET /repos', entry: 'list-repositories', create: createListRepositoriesHandler },
];
