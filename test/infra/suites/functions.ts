import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { featureRoutes } from '../../../lambdas/http/routes/feature-routes.js';
import { stepFunctions } from '../../../lambdas/orchestration/step-functions.js';
import { agentTypes } from '../../../lambdas/core/task.js';
import { METRIC_NAMESPACE } from '../../../lambdas/ports/metrics.js';
import { handlerEsbuildOptions, handlerNodeOptions, nodeTarget } from '../../../lib/bundling.js';
import { functionArchitecture, nodeMajorVersion, nodeRuntime, type DsfFunction } from '../../../lib/dsf-function.js';
import { serviceNames } from '../../../lib/service-names.js';
import { logicalIdOf, resourcesOf, type Synthesized } from '../synth-fixture.js';

export function describeBaseFunction(shared: () => Synthesized): void {
  describe('the base function construct', () => {
    let dev: Synthesized;
    let all: { name: string; fn: DsfFunction; service: string }[];
    beforeAll(() => {
      dev = shared();
      all = [
        ...Object.entries(dev.stack.api.routeFunctions).map(([name, fn]) => ({ name, fn, service: serviceNames.api })),
        { name: 'github-webhook', fn: dev.stack.api.webhookFunction, service: serviceNames.webhook },
        ...Object.entries(dev.stack.orchestrator.stepFunctions).map(([name, fn]) => ({ name, fn, service: serviceNames.orchestrator })),
        ...Object.entries(dev.stack.agents.workers).map(([name, fn]) => ({ name: `${name}-worker`, fn, service: serviceNames.agentWorker })),
      ];
    });
    const propertiesOf = (fn: DsfFunction) => dev.template.toJSON().Resources[logicalIdOf(fn.function)].Properties as Record<string, unknown>;

    it('builds every Lambda function of the stack through it: one per route, the webhook, six steps, four workers', () => {
      expect(all).toHaveLength(featureRoutes.length + 1 + stepFunctions.length + agentTypes.length);
      dev.template.resourceCountIs('AWS::Lambda::Function', all.length);
    });

    it('runs Node.js functions on the runtime the bundles target, from index.mjs', () => {
      expect(nodeRuntime.name).toBe(`nodejs${nodeMajorVersion}.x`);
      expect(nodeTarget).toBe(`node${nodeMajorVersion}`);
      for (const { name, fn } of all.filter(({ name }) => !name.endsWith('-worker'))) {
        expect({ name, ...pick(propertiesOf(fn), ['Runtime', 'Handler']) }).toEqual({ name, Runtime: nodeRuntime.name, Handler: 'index.handler' });
      }
    });

    it('sets arm64, active tracing, JSON logs into the function’s own log group with retention, for every function', () => {
      for (const { name, fn } of all) {
        expect({ name, ...pick(propertiesOf(fn), ['Architectures', 'TracingConfig', 'LoggingConfig']) }).toEqual({
          name,
          Architectures: [functionArchitecture.name],
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN', LogGroup: { Ref: logicalIdOf(fn.logGroup) } },
        });
      }
      for (const [logicalId, group] of Object.entries(resourcesOf(dev.template, 'AWS::Logs::LogGroup'))) {
        expect({ logicalId, retention: group.Properties?.['RetentionInDays'] }).toEqual({ logicalId, retention: 30 });
      }
    });

    it('sets the Powertools service and namespace, and source-mapped stack traces, next to the handler’s own variables', () => {
      for (const { name, fn, service } of all) {
        const variables = (propertiesOf(fn)['Environment'] as { Variables: Record<string, unknown> }).Variables;
        expect({ name, ...pick(variables, ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'NODE_OPTIONS']) }).toEqual({
          name,
          POWERTOOLS_SERVICE_NAME: service,
          POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
          NODE_OPTIONS: handlerNodeOptions,
        });
        expect({ name, tableName: variables['TABLE_NAME'] }).toEqual({ name, tableName: { Ref: logicalIdOf(dev.stack.storage.table) } });
      }
    });

    it('names the same Powertools services the handlers use, so alarms find their metrics', () => {
      const awsDeps = ['aws-deps.ts', 'aws-worker-deps.ts'].map((file) => readFileSync(new URL(`../../../lambdas/${file}`, import.meta.url), 'utf8')).join('\n');
      const used = new Set([...awsDeps.matchAll(/'(dsf-[a-z-]+)'/g)].map((match) => match[1]));

      expect([...used].sort()).toEqual(Object.values(serviceNames).sort());
    });

    it('never puts a secret value in an environment: only secret ids', () => {
      for (const { name, fn } of all) {
        const variables = (propertiesOf(fn)['Environment'] as { Variables: Record<string, unknown> }).Variables;
        expect({ name, dynamicReferences: JSON.stringify(variables).includes('{{resolve:') }).toEqual({ name, dynamicReferences: false });
        for (const key of Object.keys(variables).filter((key) => /SECRET|KEY|TOKEN|PASSWORD/.test(key))) expect(key).toMatch(/_SECRET_ID$/);
      }
    });

    it('gives each function a role of its own with no managed policies', () => {
      const roles = new Set(all.map(({ fn }) => logicalIdOf(fn.role)));
      expect(roles.size).toBe(all.length);
      for (const [logicalId, role] of Object.entries(resourcesOf(dev.template, 'AWS::IAM::Role'))) {
        expect({ logicalId, managed: role.Properties?.['ManagedPolicyArns'] }).toEqual({ logicalId, managed: undefined });
      }
    });

    it('bundles as ESM for the runtime: minified, source maps, module fields first, nothing external but ESLint’s unused TypeScript-config loader', () => {
      expect(handlerEsbuildOptions).toMatchObject({
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: nodeTarget,
        minify: true,
        sourcemap: true,
        mainFields: ['module', 'main'],
        external: ['jiti'],
      });
      expect(handlerEsbuildOptions.banner.js).toMatch(/createRequire/);
    });
  });
}

function pick<T extends Record<string, unknown>>(value: T, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, value[key]]));
}
