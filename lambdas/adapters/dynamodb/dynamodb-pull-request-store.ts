import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Clock, IdSource } from '../../ports/clock.js';
import {
  pullRequestCommentSchema,
  pullRequestSchema,
  PullRequestNotFoundError,
  PullRequestNotOpenError,
  type PullRequest,
  type PullRequestChanges,
  type PullRequestComment,
} from '../../ports/git-host.js';
import type { PullRequestDraft, PullRequestStore } from '../../ports/pull-request-store.js';
import { keys } from './table-design.js';

/** Rounds of "find the open one, else create" before giving up; each lost round means someone else just changed it. */
const MAX_OPEN_ATTEMPTS = 5;

const counterSchema = z.object({ last: z.number().int().positive() });
const openKeySchema = z.object({ number: z.number().int().positive() });

/**
 * PullRequestStore on the single table (see table-design.ts): one item per pull
 * request under `REPO#<repo>`, a counter item that hands out numbers, and an
 * `OPEN_PR#<base>#<head>` item that exists exactly while a pull request for that
 * pair is open. Creating a pull request and its open key, and closing or merging
 * one and deleting its key, are single transactions, so two concurrent opens for
 * the same pair cannot both create one.
 */
export class DynamoDbPullRequestStore implements PullRequestStore {
  constructor(private readonly deps: { client: DynamoDBDocumentClient; tableName: string; clock: Clock; ids: IdSource }) {}

  async openOrUpdate(draft: PullRequestDraft): Promise<{ pullRequest: PullRequest; created: boolean }> {
    for (let attempt = 0; attempt < MAX_OPEN_ATTEMPTS; attempt++) {
      const open = await this.openNumber(draft);
      if (open !== undefined) {
        const updated = await this.updateIfOpen(draft, open);
        if (updated) return { pullRequest: updated, created: false };
        continue;
      }
      const created = await this.create(draft);
      if (created) return { pullRequest: created, created: true };
    }
    throw new Error(`pull request ${draft.head} → ${draft.base} in ${draft.repo} kept changing; try again`);
  }

  async get(repo: string, number: number): Promise<PullRequest | undefined> {
    const { Item } = await this.deps.client.send(
      new GetCommand({ TableName: this.deps.tableName, Key: keys.pullRequest(repo, number), ConsistentRead: true }),
    );
    return Item ? pullRequestSchema.parse(Item) : undefined;
  }

  async update(repo: string, number: number, changes: PullRequestChanges): Promise<PullRequest> {
    const sets = ['updatedAt = :now'];
    const values: Record<string, unknown> = { ':now': this.now() };
    if (changes.title !== undefined) {
      sets.push('title = :title');
      values[':title'] = changes.title;
    }
    if (changes.body !== undefined) {
      sets.push('body = :body');
      values[':body'] = changes.body;
    }
    try {
      const { Attributes } = await this.deps.client.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: keys.pullRequest(repo, number),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return pullRequestSchema.parse(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new PullRequestNotFoundError(repo, number);
      throw error;
    }
  }

  async addComment(repo: string, number: number, body: string): Promise<PullRequestComment> {
    const comment: PullRequestComment = { id: this.deps.ids.ulid(), body, createdAt: this.now() };
    try {
      // list_append is applied by DynamoDB itself, so concurrent comments never overwrite each other.
      await this.deps.client.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: keys.pullRequest(repo, number),
          UpdateExpression: 'SET comments = list_append(if_not_exists(comments, :none), :comment), updatedAt = :now',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':none': [], ':comment': [comment], ':now': comment.createdAt },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new PullRequestNotFoundError(repo, number);
      throw error;
    }
    return pullRequestCommentSchema.parse(comment);
  }

  async markMerged(repo: string, number: number, mergeCommit: string): Promise<PullRequest> {
    const now = this.now();
    return this.leaveOpen(repo, number, 'SET #status = :merged, mergeCommit = :commit, mergedAt = :now, updatedAt = :now', {
      ':merged': 'merged',
      ':commit': mergeCommit,
      ':now': now,
    });
  }

  async markClosed(repo: string, number: number): Promise<PullRequest> {
    const now = this.now();
    try {
      return await this.leaveOpen(repo, number, 'SET #status = :closed, closedAt = :now, updatedAt = :now', { ':closed': 'closed', ':now': now });
    } catch (error) {
      // Closing what is already closed is a no-op, also when someone else just closed it.
      if (error instanceof PullRequestNotOpenError && error.status === 'closed') return (await this.get(repo, number))!;
      throw error;
    }
  }

  /** Moves an open pull request to merged or closed and deletes its open key, in one transaction. */
  private async leaveOpen(repo: string, number: number, updateExpression: string, values: Record<string, unknown>): Promise<PullRequest> {
    for (let attempt = 0; attempt < MAX_OPEN_ATTEMPTS; attempt++) {
      const current = await this.get(repo, number);
      if (!current) throw new PullRequestNotFoundError(repo, number);
      if (current.status !== 'open') throw new PullRequestNotOpenError(repo, number, current.status);
      try {
        await this.deps.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.deps.tableName,
                  Key: keys.pullRequest(repo, number),
                  UpdateExpression: updateExpression,
                  ConditionExpression: '#status = :open',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: { ...values, ':open': 'open' },
                },
              },
              { Delete: { TableName: this.deps.tableName, Key: keys.openPullRequest(repo, current.base, current.head) } },
            ],
          }),
        );
        return (await this.get(repo, number))!;
      } catch (error) {
        // Lost to a concurrent change (a condition or a transaction conflict): look again.
        if (!(error instanceof TransactionCanceledException)) throw error;
      }
    }
    throw new Error(`pull request #${number} in ${repo} kept changing; try again`);
  }

  private async openNumber(draft: PullRequestDraft): Promise<number | undefined> {
    const { Item } = await this.deps.client.send(
      new GetCommand({
        TableName: this.deps.tableName,
        Key: keys.openPullRequest(draft.repo, draft.base, draft.head),
        ConsistentRead: true,
      }),
    );
    return Item ? openKeySchema.parse(Item).number : undefined;
  }

  /** undefined when the pull request stopped being open since we looked. */
  private async updateIfOpen(draft: PullRequestDraft, number: number): Promise<PullRequest | undefined> {
    try {
      const { Attributes } = await this.deps.client.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: keys.pullRequest(draft.repo, number),
          UpdateExpression: 'SET title = :title, body = :body, updatedAt = :now',
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':title': draft.title, ':body': draft.body, ':now': this.now(), ':open': 'open' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return pullRequestSchema.parse(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** undefined when another open for the same pair won the race; its number is then burnt. */
  private async create(draft: PullRequestDraft): Promise<PullRequest | undefined> {
    const { Attributes } = await this.deps.client.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: keys.pullRequestCounter(draft.repo),
        UpdateExpression: 'ADD #last :one',
        ExpressionAttributeNames: { '#last': 'last' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const number = counterSchema.parse(Attributes).last;
    const now = this.now();
    const pullRequest: PullRequest = {
      repo: draft.repo,
      number,
      status: 'open',
      head: draft.head,
      base: draft.base,
      title: draft.title,
      body: draft.body,
      comments: [],
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.deps.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.deps.tableName,
                Item: { ...pullRequest, ...keys.pullRequest(draft.repo, number) },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              Put: {
                TableName: this.deps.tableName,
                Item: { ...keys.openPullRequest(draft.repo, draft.base, draft.head), number },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException) return undefined;
      throw error;
    }
    return pullRequest;
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
