/** A plan the built-in sleep agents run end to end: what the form's “Use the demo plan” fills in. */
export const demoPlan = [
  { id: 'design', title: 'Design the rate-limit policy', kind: 'general', acceptanceCriteria: ['Limits per plan are written down', 'Burst and refill rates are chosen'], sleep: { seconds: 2 } },
  { id: 'store', title: 'Token-bucket store in DynamoDB', kind: 'db', dependsOn: ['design'], acceptanceCriteria: ['Buckets refill atomically'], sleep: { seconds: 4 } },
  { id: 'config', title: 'Per-plan limits in config', kind: 'config', dependsOn: ['design'], acceptanceCriteria: ['Limits load from config'], sleep: { seconds: 2 } },
  { id: 'middleware', title: 'Rate-limit middleware', kind: 'api', dependsOn: ['store'], acceptanceCriteria: ['Over-limit requests get 429'], sleep: { seconds: 5 } },
  { id: 'headers', title: 'RateLimit-* response headers', kind: 'api', dependsOn: ['middleware'], acceptanceCriteria: ['Headers follow the IETF draft'], sleep: { seconds: 3 } },
  { id: 'dashboard', title: 'Usage panel in the admin UI', kind: 'ui', dependsOn: ['store'], acceptanceCriteria: ['Shows usage per key'], sleep: { seconds: 5 } },
  { id: 'unit-tests', title: 'Unit tests for the buckets', agentType: 'test', kind: 'tests', dependsOn: ['middleware'], acceptanceCriteria: ['Refill edge cases covered'], sleep: { seconds: 4 } },
  { id: 'load-test', title: 'Load test at 2x peak', agentType: 'test', kind: 'tests', dependsOn: ['middleware', 'config'], acceptanceCriteria: ['p99 under 20 ms added'], sleep: { seconds: 6 } },
  { id: 'docs', title: 'Document limits for API users', kind: 'docs', dependsOn: ['headers', 'config'], acceptanceCriteria: ['Docs list every limit'], sleep: { seconds: 3 } },
  { id: 'review', title: 'Review the whole change', agentType: 'review', kind: 'review', dependsOn: ['unit-tests', 'load-test', 'docs', 'dashboard'], acceptanceCriteria: ['Every acceptance criterion holds'], sleep: { seconds: 3 } },
];
