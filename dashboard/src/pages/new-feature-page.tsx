import { useMemo, useRef, useState } from 'preact/hooks';
import { z } from 'zod';
import { featureRequestSchema, plannedTaskSchema, type FeatureRequest } from '../../../lambdas/core/new-feature.js';
import { topologicalOrder } from '../../../lambdas/core/task-graph.js';
import { InvalidPlanError } from '../../../lambdas/core/errors.js';
import { api, ApiError } from '../api.js';
import { navigate } from '../router.js';
import { useNow } from '../format.js';
import { PageTitle } from '../components/page-title.js';
import { TaskGraph } from '../components/task-graph.js';
import { demoPlan } from '../demo-plan.js';

type Field = 'title' | 'description' | 'repo' | 'baseBranch' | 'tasks';
type FieldErrors = Partial<Record<Field, string>>;

const fieldLabels: Record<Field, string> = {
  title: 'Title',
  description: 'Description',
  repo: 'Repository',
  baseBranch: 'Base branch',
  tasks: 'Tasks',
};


const previewSchema = z.array(plannedTaskSchema).min(1);

function newKey(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function NewFeaturePage() {
  const [values, setValues] = useState({ title: '', description: '', repo: '', baseBranch: '', tasks: '' });
  const [mode, setMode] = useState<'planner' | 'json'>('json');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [summary, setSummary] = useState<string | undefined>();
  const [submitting, setSubmitting] = useState(false);
  // One key per distinct body: a retry of the same request is a replay, an edit is a new request.
  const [idempotencyKey, setIdempotencyKey] = useState(newKey);
  const summaryRef = useRef<HTMLDivElement>(null);
  const now = useNow(60_000);

  const set = (field: keyof typeof values) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement | HTMLTextAreaElement).value;
    setValues((previous) => ({ ...previous, [field]: value }));
    setIdempotencyKey(newKey());
  };

  const preview = useMemo(() => {
    if (mode !== 'json' || values.tasks.trim() === '') return undefined;
    try {
      const parsed = previewSchema.safeParse(JSON.parse(values.tasks));
      if (!parsed.success) return undefined;
      const tasks = parsed.data.map((task, index) => ({ ...task, id: task.id ?? `t${index + 1}` }));
      const order = topologicalOrder(tasks);
      const byId = new Map(tasks.map((task) => [task.id, task]));
      return order.map((id) => {
        const task = byId.get(id)!;
        return {
          id,
          title: task.title,
          dependsOn: task.dependsOn,
          estimatedSeconds: task.estimatedSeconds ?? (task.sleep ? Math.max(task.sleep.seconds, 0.001) : 60),
          status: 'pending' as const,
          agentType: task.agentType,
          attempts: 0,
        };
      });
    } catch {
      return undefined;
    }
  }, [mode, values.tasks]);

  const fail = (fieldErrors: FieldErrors, message?: string) => {
    setErrors(fieldErrors);
    setSummary(message);
    queueMicrotask(() => summaryRef.current?.focus());
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const request: Record<string, unknown> = { title: values.title, description: values.description };
    if (values.repo.trim()) request['repo'] = values.repo.trim();
    if (values.baseBranch.trim()) request['baseBranch'] = values.baseBranch.trim();
    if (mode === 'json') {
      if (!values.tasks.trim()) return fail({ tasks: 'Give the tasks as a JSON array, or let the planner break the feature down.' });
      try {
        request['tasks'] = JSON.parse(values.tasks);
      } catch (error) {
        return fail({ tasks: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    const parsed = featureRequestSchema.safeParse(request);
    if (!parsed.success) return fail(fieldErrorsFromIssues(parsed.error.issues));
    const planError = checkPlan(parsed.data);
    if (planError) return fail({ tasks: planError });

    setSubmitting(true);
    setErrors({});
    setSummary(undefined);
    try {
      const feature = await api.submitFeature(parsed.data, idempotencyKey);
      navigate({ name: 'feature', id: feature.id });
    } catch (error) {
      setSubmitting(false);
      if (error instanceof ApiError && error.problem.errors?.length) {
        return fail(fieldErrorsFromPointers(error.problem.errors), error.problem.title);
      }
      return fail({}, error instanceof Error ? error.message : String(error));
    }
  };

  const errorList = Object.entries(errors) as [Field, string][];
  const describedBy = (field: Field, hint?: string) => [hint, errors[field] ? `${field}-error` : undefined].filter(Boolean).join(' ') || undefined;

  return (
    <div>
      <header class="page-head">
        <div>
          <PageTitle>New feature</PageTitle>
          <p>Describe the feature. DSF plans it into tasks, runs an agent on each, gates the result and opens a pull request.</p>
        </div>
      </header>
      <form class="form-grid" onSubmit={(event) => void submit(event)} noValidate aria-label="New feature">
        <div class="card card-body form-card">
          {(errorList.length > 0 || summary) && (
            <div class="error-summary" role="alert" tabIndex={-1} ref={summaryRef} data-testid="form-errors">
              <strong>{summary ?? 'The feature could not be submitted.'}</strong>
              {errorList.length > 0 && (
                <ul>
                  {errorList.map(([field, message]) => (
                    <li key={field}>
                      <button type="button" class="button-link" onClick={() => document.getElementById(`field-${field}`)?.focus()}>
                        {fieldLabels[field]}: {message}
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <div class="field">
            <label for="field-title">Title</label>
            <input
              id="field-title"
              type="text"
              name="title"
              required
              maxLength={200}
              value={values.title}
              onInput={set('title')}
              aria-invalid={errors.title ? 'true' : 'false'}
              aria-describedby={describedBy('title')}
              placeholder="Add rate limiting to the public API"
            />
            {errors.title && (
              <p class="field-error" id="title-error">
                {errors.title}
              </p>
            )}
          </div>
          <div class="field">
            <label for="field-description">Description</label>
            <textarea
              id="field-description"
              name="description"
              rows={4}
              required
              value={values.description}
              onInput={set('description')}
              aria-invalid={errors.description ? 'true' : 'false'}
              aria-describedby={describedBy('description', 'description-hint')}
            />
            <p class="hint" id="description-hint">
              What it should do and how we know it works. The planner reads this when it breaks the feature down.
            </p>
            {errors.description && (
              <p class="field-error" id="description-error">
                {errors.description}
              </p>
            )}
          </div>
          <div class="two-fields">
            <div class="field">
              <label for="field-repo">
                Repository <span class="muted">(optional)</span>
              </label>
              <input id="field-repo" type="text" name="repo" value={values.repo} onInput={set('repo')} placeholder="demo" aria-invalid={errors.repo ? 'true' : 'false'} aria-describedby={describedBy('repo')} />
              {errors.repo && (
                <p class="field-error" id="repo-error">
                  {errors.repo}
                </p>
              )}
            </div>
            <div class="field">
              <label for="field-baseBranch">
                Base branch <span class="muted">(optional)</span>
              </label>
              <input
                id="field-baseBranch"
                type="text"
                name="baseBranch"
                value={values.baseBranch}
                onInput={set('baseBranch')}
                placeholder="main"
                aria-invalid={errors.baseBranch ? 'true' : 'false'}
                aria-describedby={describedBy('baseBranch')}
              />
              {errors.baseBranch && (
                <p class="field-error" id="baseBranch-error">
                  {errors.baseBranch}
                </p>
              )}
            </div>
          </div>
          <fieldset class="field">
            <legend>Plan</legend>
            <div class="choice-row">
              <label class="choice">
                <input type="radio" name="plan" value="json" checked={mode === 'json'} onChange={() => setMode('json')} />
                <span>
                  I give the tasks
                  <small>A JSON array of tasks and their dependencies</small>
                </span>
              </label>
              <label class="choice">
                <input type="radio" name="plan" value="planner" checked={mode === 'planner'} onChange={() => setMode('planner')} />
                <span>
                  Let the planner decide
                  <small>Tasks are derived from the description</small>
                </span>
              </label>
            </div>
          </fieldset>
          {mode === 'json' && (
            <div class="field">
              <label for="field-tasks">Tasks (JSON)</label>
              <textarea
                id="field-tasks"
                class="code"
                name="tasks"
                rows={14}
                spellcheck={false}
                value={values.tasks}
                onInput={set('tasks')}
                aria-invalid={errors.tasks ? 'true' : 'false'}
                aria-describedby={describedBy('tasks', 'tasks-hint')}
                placeholder='[{ "id": "route", "title": "Add GET /health", "sleep": { "seconds": 3 } }]'
              />
              <p class="hint" id="tasks-hint">
                Each task: <code>id</code>, <code>title</code>, <code>agentType</code> (code, test, review, conflict), <code>dependsOn</code>,{' '}
                <code>acceptanceCriteria</code>; <code>sleep</code> ({'{"seconds": 3, "outcome": "succeed"}'}) runs it on the built-in sleep agent.
              </p>
              {errors.tasks && (
                <p class="field-error" id="tasks-error">
                  {errors.tasks}
                </p>
              )}
              <div>
                <button
                  type="button"
                  class="button"
                  onClick={() => {
                    setValues((previous) => ({
                      ...previous,
                      title: previous.title || 'Add rate limiting to the public API',
                      description: previous.description || 'Limit each API key to its plan’s request rate; answer 429 with RateLimit headers when over.',
                      tasks: JSON.stringify(demoPlan, null, 2),
                    }));
                    setIdempotencyKey(newKey());
                  }}
                >
                  Use the demo plan
                </button>
              </div>
            </div>
          )}
          <div class="form-actions">
            <button type="submit" class="button button-primary" disabled={submitting}>
              {submitting ? 'Submitting…' : 'Submit feature'}
            </button>
            <a class="button" href="#/">
              Cancel
            </a>
          </div>
        </div>
        <section class="card" aria-labelledby="preview-title">
          <div class="card-head">
            <div>
              <h2 id="preview-title">Plan preview</h2>
              <p>{mode === 'planner' ? 'The planner decides the tasks after you submit.' : 'Drawn from the JSON as you type.'}</p>
            </div>
          </div>
          {preview ? (
            <div class="dag-scroll">
              <TaskGraph tasks={preview} now={now} fit label={`Preview of the plan: ${preview.length} tasks`} />
            </div>
          ) : (
            <p class="card-body muted" style={{ margin: 0 }}>
              {mode === 'planner' ? 'No preview: the plan is made on the server.' : 'A valid task list shows its graph here.'}
            </p>
          )}
        </section>
      </form>
    </div>
  );
}

function fieldOf(key: unknown): Field | undefined {
  return key === 'title' || key === 'description' || key === 'repo' || key === 'baseBranch' || key === 'tasks' ? key : undefined;
}

function fieldErrorsFromIssues(issues: readonly z.core.$ZodIssue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const field = fieldOf(issue.path[0]) ?? 'tasks';
    const where = field === 'tasks' && issue.path.length > 1 ? `task ${Number(issue.path[1]) + 1}${issue.path.length > 2 ? `, ${issue.path.slice(2).join('.')}` : ''}: ` : '';
    errors[field] ??= `${where}${issue.message}`;
  }
  return errors;
}

function fieldErrorsFromPointers(pointers: readonly { pointer: string; detail: string }[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const { pointer, detail } of pointers) {
    const [, first, ...rest] = pointer.split('/');
    const field = fieldOf(first) ?? 'tasks';
    errors[field] ??= rest.length > 0 && field === 'tasks' ? `task ${Number(rest[0]) + 1}${rest.length > 1 ? `, ${rest.slice(1).join('.')}` : ''}: ${detail}` : detail;
  }
  return errors;
}

/** Unknown dependencies, cycles and duplicate ids, caught before the round trip. */
function checkPlan(request: FeatureRequest): string | undefined {
  if (!request.tasks) return undefined;
  try {
    topologicalOrder(request.tasks.map((task, index) => ({ ...task, id: task.id ?? `t${index + 1}` })));
    return undefined;
  } catch (error) {
    if (error instanceof InvalidPlanError) return error.message;
    throw error;
  }
}
