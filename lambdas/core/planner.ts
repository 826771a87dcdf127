import { z } from 'zod';
import { agentTypeSchema, taskIdSchema, taskKindSchema, type TaskKind } from './task.js';

/**
 * Planner v1: a heuristic, model-free decomposition of a feature request into
 * a DAG of typed tasks. Pure and deterministic, so the same request always
 * yields the same plan and `dsf plan` can preview what a submission would run.
 *
 * The request text is data only: it decides which kinds of work are present
 * and is quoted into titles, descriptions and criteria, but ids, agent types
 * and dependencies come from the fixed tables below, so no wording can
 * inject a field, an id or an edge.
 */

/** One plan entry; a list of them passes `plannedTaskSchema` as is, so it can go straight into `buildNewFeature`. */
export const plannedTaskOutputSchema = z.strictObject({
  id: taskIdSchema,
  title: z.string().trim().min(1).max(200),
  description: z.string().max(20_000),
  kind: taskKindSchema,
  agentType: agentTypeSchema,
  dependsOn: z.array(taskIdSchema),
  acceptanceCriteria: z.array(z.string().trim().min(1).max(1_000)).min(1).max(50),
  estimatedSeconds: z.number().positive().max(86_400),
});
export type PlannedTaskWithKind = z.infer<typeof plannedTaskOutputSchema>;

export interface PlanRequest {
  readonly title: string;
  readonly description: string;
}

/** The kinds of work the planner can recognise in text; `general` and `review` are the ones it adds itself. */
export const detectableKinds = ['config', 'db', 'api', 'ui', 'infra', 'docs', 'tests'] as const;
export type DetectableKind = (typeof detectableKinds)[number];

/** Kinds that become a code task with its own test task, listed in dependency order. */
const codeKinds = ['config', 'db', 'api', 'ui', 'infra'] as const;
type CodeKind = (typeof codeKinds)[number] | 'general';

/**
 * Rough wall-clock seconds one agent needs per kind of task, used to schedule
 * by longest remaining path. Guesses until measured medians replace them.
 */
export const ESTIMATED_SECONDS: Readonly<Record<TaskKind, number>> = {
  config: 300,
  db: 900,
  api: 900,
  ui: 1_200,
  infra: 900,
  general: 1_200,
  docs: 300,
  tests: 600,
  review: 300,
};

/** Five code kinds with a test task each, docs and review: 12. The bound keeps any future kind from bloating a plan. */
export const MAX_PLAN_TASKS = 20;
const MAX_TITLE = 200;
const MAX_CRITERION = 1_000;
/** A quoted excerpt leaves room in its criterion for the Given/When around it. */
const MAX_QUOTE = 400;
const MAX_CRITERIA_PER_TASK = 8;
const MAX_SUBJECTS = 3;
const MAX_SUBJECT = 60;
const MAX_DESCRIPTION = 4_000;
/** The feature request's own limit; anything past it is not part of a valid request and only costs time. */
const MAX_INPUT = 20_000;

const words = (alternatives: readonly string[]) => new RegExp(`\\b(?:${alternatives.join('|')})\\b`, 'gi');

/** An HTTP method followed by a path. Methods must be upper case so that prose ("get /tmp cleaned") is not a route. */
const HTTP_ROUTE = /\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\/[^\s,;"'`()<>]{0,100})/g;

/**
 * Keyword families, matched on word boundaries. `strict` holds case-sensitive
 * signals whose lower-case forms are ordinary English ("the rest of").
 */
const keywordFamilies: Record<DetectableKind, { readonly loose: RegExp; readonly strict?: RegExp }> = {
  api: {
    loose: words(['endpoints?', 'routes?', 'routing', 'handlers?', 'apis?', 'webhooks?', 'graphql', 'restful']),
    strict: /\bREST\b|\b(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+\//g,
  },
  db: {
    loose: words([
      'databases?',
      'tables?',
      'persist(?:s|ed|ing|ence|ent)?',
      'stor(?:e|es|ed|ing|age)',
      'migrations?',
      'schemas?',
      'sql',
      'postgres(?:ql)?',
      'mysql',
      'sqlite',
      'dynamodb',
      'mongodb',
      'redis',
      'cach(?:e|es|ed|ing)',
    ]),
  },
  ui: {
    // A page size or page token is pagination, not a screen.
    loose: words(['pages?(?!\\s+(?:sizes?|tokens?|limits?|numbers?|counts?)\\b)', 'forms?', 'buttons?', 'ui', 'ux', 'dashboards?', 'screens?', 'components?', 'css', 'front-?end', 'modals?', 'dialogs?', 'html', 'widgets?']),
  },
  infra: {
    loose: words([
      'deploy(?:s|ed|ing|ments?)?',
      'cdk',
      'terraform',
      'cloudformation',
      'lambdas?',
      'queues?',
      'pipelines?',
      'ci',
      'docker(?:file)?',
      'kubernetes',
      'k8s',
      'sqs',
      'sns',
      'step functions?',
      'infrastructure',
      'buckets?',
      'cloudwatch',
      'alarms?',
      'github actions',
    ]),
  },
  config: {
    loose: words([
      'config(?:s|uration|urations|urable|ure|ured)?',
      // A settings page or screen is UI, not configuration.
      'settings?(?!\\s+(?:pages?|screens?|forms?|dialogs?|modals?|menus?|panels?|tabs?|views?)\\b)',
      'env(?:ironment)? var(?:iable)?s?',
      'flags?',
      'options?',
      'dotenv',
    ]),
  },
  docs: { loose: words(['document(?:s|ed|ing|ation)?', 'docs', 'readme', 'guides?', 'changelog', 'tutorials?', 'runbooks?']) },
  tests: { loose: words(['tests?', 'testing', 'tested', 'coverage', 'e2e', 'end-to-end']) },
};

/** "not", "no", "without", "never" or "-n't" up to three words before a keyword: "it must not touch the database". */
const NEGATED = /(?:\b(?:not|no|without|never|nor)|n't)(?:\s+[^\s.,;:!?]+){0,3}\s+$/i;
/** How far back to look for a negation; longer than three words almost always. */
const NEGATION_WINDOW = 60;

/** Whether a text asks for a kind of work: one of its keywords appears, and not negated. */
export function mentions(kind: DetectableKind, text: string): boolean {
  const family = keywordFamilies[kind];
  for (const pattern of family.strict ? [family.loose, family.strict] : [family.loose]) {
    for (const match of text.matchAll(pattern)) {
      if (!NEGATED.test(text.slice(Math.max(0, match.index - NEGATION_WINDOW), match.index))) return true;
    }
  }
  return false;
}

/** The kinds of work a text asks for, in `detectableKinds` order. */
export function detectKinds(text: string): DetectableKind[] {
  return detectableKinds.filter((kind) => mentions(kind, text));
}

const labels: Record<TaskKind, string> = {
  config: 'Configuration',
  db: 'Persistence',
  api: 'API',
  ui: 'UI',
  infra: 'Infrastructure',
  general: 'Implement',
  docs: 'Documentation',
  tests: 'Tests',
  review: 'Review',
};

const scopes: Record<CodeKind | 'docs', string> = {
  config: 'Add the configuration this feature needs (settings, flags, environment variables): loaded and validated once at start-up, with documented defaults.',
  db: 'Add the persistence this feature needs: tables or schema changes, migrations and the data-access code behind a port.',
  api: 'Add or change the API this feature needs: routes, handlers, request and response validation, errors as problem+json.',
  ui: 'Build the user interface this feature needs.',
  infra: 'Change the infrastructure this feature needs: resources, permissions, deployment and pipelines.',
  general: 'Implement the feature.',
  docs: 'Update the documentation so it describes the feature as built.',
};

/** Given/When/Then framing of an excerpt of the request, per kind. */
const framings: Record<CodeKind | 'docs', (subject: string | undefined) => { given: string; when: string; then: string }> = {
  config: (s) => ({ given: `the application's configuration${s ? ` (${s})` : ''}`, when: 'the application starts', then: 'it supports what the request asks' }),
  db: (s) => ({ given: `the data layer${s ? ` for ${s}` : ''}`, when: 'the feature writes and reads its data', then: 'storage does what the request asks' }),
  api: (s) => ({ given: 'the service is running', when: `a client calls ${s ?? 'the new endpoint'}`, then: 'the response does what the request asks' }),
  ui: (s) => ({ given: `a user opens the UI${s ? ` (${s})` : ''}`, when: 'they use it', then: 'it does what the request asks' }),
  infra: (s) => ({ given: `the infrastructure code${s ? ` (${s})` : ''}`, when: 'it is synthesized and deployed', then: 'it provides what the request asks' }),
  general: () => ({ given: 'the current codebase', when: 'the change is in place', then: 'it does what the request asks' }),
  docs: (s) => ({ given: `a reader opens the documentation${s ? ` (${s})` : ''}`, when: 'they read it', then: 'it covers what the request asks' }),
};

/** The criterion every task of a kind gets, whatever the request says. */
const baselines: Record<CodeKind | 'docs', (subject: string | undefined, feature: string) => string> = {
  config: (s) =>
    `Given ${s ? `the new configuration (${s})` : 'the new configuration'} is missing or invalid, when the application starts, then it either uses a documented default or reports every problem at once`,
  db: (s) => `Given an empty data store${s ? ` (${s})` : ''}, when a record is written and read back, then the same values come back unchanged`,
  api: (s) => `Given the service is running, when a client calls ${s ?? 'the new endpoint'} with invalid input, then it answers with a 4xx application/problem+json response`,
  ui: (s) => `Given a user opens the UI${s ? ` (${s})` : ''}, when it renders, then it shows no errors and every control has an accessible label`,
  infra: (s) => `Given the infrastructure code${s ? ` (${s})` : ''}, when it is synthesized, then synthesis succeeds and the template contains the resources the feature needs`,
  general: (_s, feature) => `Given the current codebase, when the change is in place, then it delivers "${feature}" without breaking existing behaviour`,
  docs: (s, feature) => `Given a reader new to the project, when they read the documentation${s ? ` (${s})` : ''}, then it explains "${feature}" accurately and its examples work as written`,
};

const dbTechnologies: readonly (readonly [RegExp, string])[] = [
  [/\bdynamodb\b/i, 'DynamoDB'],
  [/\bpostgres(?:ql)?\b/i, 'PostgreSQL'],
  [/\bmysql\b/i, 'MySQL'],
  [/\bsqlite\b/i, 'SQLite'],
  [/\bmongodb\b/i, 'MongoDB'],
  [/\bredis\b/i, 'Redis'],
];
const infraTechnologies: readonly (readonly [RegExp, string])[] = [
  [/\bcdk\b/i, 'CDK'],
  [/\bterraform\b/i, 'Terraform'],
  [/\bcloudformation\b/i, 'CloudFormation'],
  [/\bdocker(?:file)?\b/i, 'Docker'],
  [/\b(?:kubernetes|k8s)\b/i, 'Kubernetes'],
  [/\blambdas?\b/i, 'Lambda'],
  [/\bsqs\b/i, 'SQS'],
  [/\bsns\b/i, 'SNS'],
  [/\bstep functions?\b/i, 'Step Functions'],
  [/\bcloudwatch\b/i, 'CloudWatch'],
  [/\bgithub actions\b/i, 'GitHub Actions'],
  [/\bci\b/i, 'CI'],
];
/** Words that can follow "store"/"persist" or precede "form"/"flag" without naming anything. */
const stopWords = new Set(
  'a an the it its it\'s them they their this that these those our your my new each every all any some one data to in on of for and or with by from into via as is are be add feature'.split(' '),
);

/**
 * Turns a request into a plan. Never throws: a request with no recognisable
 * kind of work becomes one `general` task, its tests and a review.
 */
export function planFeature(request: PlanRequest): PlannedTaskWithKind[] {
  const description = request.description.slice(0, MAX_INPUT);
  const sentences = sentencesOf(description);
  // Quoted inside criteria, so its own double quotes become single ones.
  const featureTitle = quote(truncate(clean(request.title.slice(0, MAX_INPUT)), 150) || truncate(sentences[0] ?? '', 150) || 'the feature');
  const fullText = `${request.title.slice(0, MAX_INPUT)}\n${description}`;
  const detected = new Set(detectKinds(fullText));

  const presentCode: CodeKind[] = codeKinds.filter((kind) => detected.has(kind));
  if (presentCode.length === 0 && !detected.has('docs') && !detected.has('tests')) presentCode.push('general');

  const excerpts = (kind: DetectableKind) => {
    const found = excerptsFor(kind, sentences);
    return found.length > 0 ? found : excerptsFor(kind, [clean(request.title)]);
  };
  const testExcerpts = excerpts('tests');

  const codeTasks: PlannedTaskWithKind[] = presentCode.map((kind) => {
    const own = kind === 'general' ? sentences.filter((s) => !mentions('tests', s)) : excerpts(kind);
    // Sentences about tests belong to the test tasks, unless they are all this kind has.
    const withoutTests = own.filter((excerpt) => !mentions('tests', excerpt));
    const kindExcerpts = withoutTests.length > 0 ? withoutTests : own;
    // A general task has no kind-specific names to pick out; its title is the feature's.
    const subjects = kind === 'general' ? [] : subjectsFor(kind, kindExcerpts, fullText);
    const subject = subjects.length > 0 ? subjects.join(', ') : undefined;
    return {
      id: kind,
      title: titleOf(kind, subject ?? featureTitle),
      description: describe(scopes[kind], featureTitle, kindExcerpts),
      kind,
      agentType: 'code',
      dependsOn: codeDependencies(kind, presentCode),
      acceptanceCriteria: criteria([...kindExcerpts.map((e) => fromExcerpt(e, framings[kind](subject))), baselines[kind](subject, featureTitle)]),
      estimatedSeconds: ESTIMATED_SECONDS[kind],
    };
  });

  const testTasks: PlannedTaskWithKind[] = codeTasks.map((code, index) => {
    const kind = presentCode[index]!;
    // A sentence about tests that names no other kind applies to every test task.
    const relevant = testExcerpts.filter((e) => kind === 'general' || mentions(kind, e) || detectKinds(e).every((k) => k === 'tests'));
    const given = `the change in task "${code.id}" (${code.title})`;
    return {
      id: `${code.id}-tests`,
      title: truncate(`Tests for ${code.title}`, MAX_TITLE),
      description: describe(`Write automated tests for task "${code.id}" that check each of its acceptance criteria.`, featureTitle, relevant),
      kind: 'tests',
      agentType: 'test',
      dependsOn: [code.id],
      acceptanceCriteria: criteria([
        `Given ${given}, when the test suite runs, then tests cover each of its acceptance criteria and pass`,
        ...relevant.map((e) => fromExcerpt(e, { given, when: 'the test suite runs', then: 'tests pass that check what the request asks' })),
      ]),
      estimatedSeconds: ESTIMATED_SECONDS.tests,
    };
  });

  // A request that is only about tests: the tests are the work, on the code as it is.
  if (detected.has('tests') && codeTasks.length === 0) {
    testTasks.push({
      id: 'tests',
      title: titleOf('tests', featureTitle),
      description: describe('Write the tests this feature asks for, against the current code.', featureTitle, testExcerpts),
      kind: 'tests',
      agentType: 'test',
      dependsOn: [],
      acceptanceCriteria: criteria([
        ...testExcerpts.map((e) => fromExcerpt(e, { given: 'the current code', when: 'the test suite runs', then: 'new tests pass that check what the request asks' })),
        `Given the current code, when the test suite runs, then the new tests for "${featureTitle}" pass and no existing test breaks`,
      ]),
      estimatedSeconds: ESTIMATED_SECONDS.tests,
    });
  }

  const docsTasks: PlannedTaskWithKind[] = [];
  if (detected.has('docs')) {
    const own = excerpts('docs');
    const subjects = subjectsFor('docs', own, fullText);
    const subject = subjects.length > 0 ? subjects.join(', ') : undefined;
    docsTasks.push({
      id: 'docs',
      title: titleOf('docs', subject ?? featureTitle),
      description: describe(scopes.docs, featureTitle, own),
      kind: 'docs',
      agentType: 'code',
      // Documentation describes the code as built, so it waits for every code task.
      dependsOn: codeTasks.map((task) => task.id),
      acceptanceCriteria: criteria([...own.map((e) => fromExcerpt(e, framings.docs(subject))), baselines.docs(subject, featureTitle)]),
      estimatedSeconds: ESTIMATED_SECONDS.docs,
    });
  }

  const work = [...codeTasks, ...testTasks, ...docsTasks];
  const review: PlannedTaskWithKind = {
    id: 'review',
    title: titleOf('review', featureTitle),
    description: describe("Review the whole change against the request and every task's acceptance criteria.", featureTitle, []),
    kind: 'review',
    agentType: 'review',
    dependsOn: work.map((task) => task.id),
    acceptanceCriteria: [
      "Given all tasks are done, when the review runs, then every task's acceptance criteria hold and quality gates (typecheck, lint, tests) pass",
      `Given all tasks are done, when the review runs, then the change delivers "${featureTitle}" and nothing the request did not ask for`,
    ].map((c) => truncate(c, MAX_CRITERION)),
    estimatedSeconds: ESTIMATED_SECONDS.review,
  };

  // The plan is built from fixed tables, so this only fails on a bug here; better a loud error than a bad plan stored.
  return z
    .array(plannedTaskOutputSchema)
    .max(MAX_PLAN_TASKS)
    .parse([...work, review]);
}

/**
 * Edges between code tasks: configuration before the code that reads it,
 * storage before the API over it, the API before the UI that calls it (the
 * UI reads storage directly only when there is no API). Infrastructure
 * wires handlers and tables that must exist first, so it follows db and api.
 */
function codeDependencies(kind: CodeKind, present: readonly CodeKind[]): string[] {
  const wanted: Record<CodeKind, readonly CodeKind[]> = {
    config: [],
    db: ['config'],
    api: ['config', 'db'],
    ui: present.includes('api') ? ['config', 'api'] : ['config', 'db'],
    infra: ['config', 'db', 'api'],
    general: [],
  };
  return wanted[kind].filter((dependency) => present.includes(dependency));
}

function titleOf(kind: TaskKind, subject: string): string {
  return truncate(`${labels[kind]}: ${subject}`, MAX_TITLE);
}

function describe(scope: string, featureTitle: string, excerpts: readonly string[]): string {
  const lines = [scope, `Feature: "${featureTitle}".`];
  if (excerpts.length > 0) lines.push('From the request:', ...excerpts.map((e) => `- ${quote(e)}`));
  return truncate(lines.join('\n'), MAX_DESCRIPTION);
}

/** An excerpt already in Given/When/Then form is kept as the requester wrote it. */
function fromExcerpt(excerpt: string, framing: { given: string; when: string; then: string }): string {
  if (isGivenWhenThen(excerpt)) return `Given${clean(excerpt).slice('given'.length)}`;
  return `Given ${framing.given}, when ${framing.when}, then ${framing.then}: "${quote(excerpt)}"`;
}

function criteria(candidates: readonly string[]): string[] {
  const unique = [...new Set(candidates.map((c) => truncate(clean(c), MAX_CRITERION)))];
  // Keep the last one (the kind's baseline) even when the request has many sentences for this kind.
  return unique.length <= MAX_CRITERIA_PER_TASK ? unique : [...unique.slice(0, MAX_CRITERIA_PER_TASK - 1), unique.at(-1)!];
}

const isGivenWhenThen = (text: string) => /^\s*given\b[\s\S]*\bwhen\b[\s\S]*\bthen\b/i.test(text);

/** Sentences of a description: split at line breaks and sentence ends, list markers dropped. */
export function sentencesOf(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?])(?<!\b(?:e\.g|i\.e|etc|vs)\.)\s+/)
    .map((s) => clean(s.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '')))
    .filter((s) => /[\p{L}\p{N}]/u.test(s));
}

/**
 * The parts of the sentences that are about one kind. A sentence naming
 * several kinds is cut into clauses (at commas, semicolons and "and"); a
 * clause with no keyword of its own belongs with the clause before it.
 */
function excerptsFor(kind: DetectableKind, sentences: readonly string[]): string[] {
  const found: string[] = [];
  for (const sentence of sentences) {
    if (!mentions(kind, sentence)) continue;
    if (isGivenWhenThen(sentence) || detectKinds(sentence).length === 1) {
      found.push(sentence);
      continue;
    }
    const clauses = sentence.split(/[,;]\s+|\s+and\s+/i).filter((c) => c.trim().length > 0);
    let previous: DetectableKind[] = [];
    const picked = clauses.filter((clause) => {
      const own = detectKinds(clause);
      previous = own.length > 0 ? own : previous;
      return previous.includes(kind);
    });
    found.push(picked.length === 0 || picked.length === clauses.length ? sentence : picked.join(', '));
  }
  return [...new Set(found)];
}

/**
 * Concrete names that make a title specific: routes, stores, screens, files,
 * settings. Quoted names stand in only when there are none of those.
 */
function subjectsFor(kind: CodeKind | 'docs', excerpts: readonly string[], fullText: string): string[] {
  const text = excerpts.join('\n');
  const found: string[] = [];
  switch (kind) {
    case 'api':
      // Every route is API work, even one mentioned in a sentence about tests.
      for (const match of fullText.matchAll(HTTP_ROUTE)) found.push(`${match[1]} ${match[2]!.replace(/[.:!?]+$/, '')}`);
      break;
    case 'db': {
      const technology = dbTechnologies.find(([pattern]) => pattern.test(text))?.[1];
      const entity = [...text.matchAll(/\b(?:stor(?:e|es|ing)|persist(?:s|ing)?|sav(?:e|es|ing)|cach(?:e|es|ing))\s+(?:(?:the|all|a|an|its|their)\s+)?([\p{L}][\p{L}\p{N}_-]{1,30})/giu)]
        .map((m) => m[1]!)
        .find((word) => !stopWords.has(word.toLowerCase()));
      if (entity || technology) found.push([entity, technology].filter(Boolean).join(' in '));
      break;
    }
    case 'ui':
      found.push(...namedThings(text, 'pages?|forms?|buttons?|dashboards?|screens?|components?|modals?|dialogs?|widgets?'));
      break;
    case 'infra':
      found.push(...infraTechnologies.filter(([pattern]) => pattern.test(text)).map(([, name]) => name));
      break;
    case 'config':
      found.push(...[...text.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)].map((m) => m[0]));
      found.push(...namedThings(text, 'flags?|settings?|options?'));
      break;
    case 'docs':
      // Case-sensitive: "a contributing guide" is prose, CONTRIBUTING.md is a file.
      for (const match of text.matchAll(/\bdocs\/[\w./-]*\w|\b(?:README|[Rr]eadme|CHANGELOG|CONTRIBUTING)(?:\.md)?\b/g)) found.push(match[0]);
      break;
    case 'general':
      break;
  }
  if (found.length === 0) found.push(...quotedNames(text));
  const unique = [...new Map(found.map((s) => [s.toLowerCase(), truncate(clean(s).replace(/"/g, "'"), MAX_SUBJECT)])).values()].filter((s) => s.length > 0);
  return unique.length <= MAX_SUBJECTS ? unique : [...unique.slice(0, MAX_SUBJECTS), `+${unique.length - MAX_SUBJECTS} more`];
}

/** "Add a dark mode flag" → "dark mode flag": a head noun with up to two words before it, leading filler dropped. */
function namedThings(text: string, heads: string): string[] {
  // Bounded word lengths keep this linear on adversarial input such as "a-a-a-…".
  const pattern = new RegExp(`\\b((?:[\\p{L}][\\p{L}\\p{N}_-]{0,30}\\s+)?[\\p{L}][\\p{L}\\p{N}_-]{0,30})\\s+(${heads})\\b`, 'giu');
  return [...text.matchAll(pattern)].flatMap((match) => {
    const modifiers = match[1]!.split(/\s+/);
    while (modifiers.length > 0 && stopWords.has(modifiers[0]!.toLowerCase())) modifiers.shift();
    return modifiers.length === 0 ? [] : [`${modifiers.join(' ')} ${match[2]}`];
  });
}

/**
 * Names in double quotes, curly quotes or backticks, and in single quotes that
 * are not apostrophes. A quoted word followed by a colon is a JSON key, not a name.
 */
function quotedNames(text: string): string[] {
  const pattern = /"([^"\n]{1,60})"(?!\s*:)|“([^”\n]{1,60})”|`([^`\n]{1,60})`|(?:^|\s)'([^'\s][^'\n]{0,58}[^'\s]|[^'\s])'(?=$|[\s.,;!?])/g;
  return [...text.matchAll(pattern)].map((m) => (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').trim()).filter((s) => s.length > 0);
}

/** One line, no control characters: request text goes into titles and criteria only as plain words. */
function clean(text: string): string {
  return text
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** An excerpt ready to sit inside double quotes. */
function quote(text: string): string {
  return truncate(clean(text).replace(/"/g, "'"), MAX_QUOTE);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}
