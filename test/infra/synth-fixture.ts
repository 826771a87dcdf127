import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll } from 'vitest';
import { z } from 'zod';
import { createDsfApp } from '../../lib/dsf-app.js';

const cdkJson = z
  .object({ context: z.record(z.string(), z.unknown()).default({}) })
  .parse(JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')));

/** Cloud assemblies written by this test file, removed when it ends (a bundled one is about 40 MB). */
const outdirs: string[] = [];
afterAll(() => {
  for (const outdir of outdirs.splice(0)) rmSync(outdir, { recursive: true, force: true });
});

export interface SynthOptions {
  /** Bundle every function with esbuild, as `cdk synth` does. Off by default: the assertions do not read code. */
  readonly bundle?: boolean;
  /** Register cdk-nag as a validation plugin, as lib/app.ts does. */
  readonly nag?: boolean;
}

/**
 * The app exactly as `npx cdk synth` builds it (cdk.json context plus the given
 * context), not yet synthesized. Bundling is skipped unless asked for, through
 * CDK's own `aws:cdk:bundling-stacks` switch.
 */
export function construct(context: Record<string, unknown> = {}, options: SynthOptions = {}) {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'dsf-cdk-'));
  outdirs.push(outdir);
  const { app, stack, config } = createDsfApp({
    outdir,
    nag: options.nag ?? false,
    context: { ...cdkJson.context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context },
  });
  return { app, stack, config, outdir };
}

/** The app of `construct`, synthesized into its temporary directory. */
export function synthesize(context: Record<string, unknown> = {}, options: SynthOptions = {}) {
  const constructed = construct(context, options);
  const assembly = constructed.app.synth();
  return { ...constructed, assembly, template: Template.fromStack(constructed.stack) };
}

export type Synthesized = ReturnType<typeof synthesize>;

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

/** The resources of one CloudFormation type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The logical id of an L2 construct's CloudFormation resource. */
export function logicalIdOf(construct: IConstruct): string {
  const resource = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(resource);
}

/** All statements of the IAM policies attached to a role, in one list. */
export function statementsOfRole(template: Template, roleLogicalId: string): { Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties?.['Roles']).includes(`"${roleLogicalId}"`))
    .flatMap((policy) => (policy.Properties?.['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[] }).Statement);
}

export const actionsOf = (statement: { Action: string | string[] }): string[] => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);
