/** Time and identity sources, injected so the domain and the tests stay deterministic. */
export interface Clock {
  now(): Date;
}

export interface IdSource {
  /** A ULID: unique, and lexicographically sortable by creation time within a process. */
  ulid(): string;
}

export const systemClock: Clock = { now: () => new Date() };
