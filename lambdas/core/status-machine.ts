/**
 * A tiny, table-driven transition checker shared by features and tasks.
 * Keeping the tables as data lets the dashboard and docs render them, and
 * lets the store refuse illegal writes without duplicating rules.
 */
export type TransitionTable<S extends string> = Readonly<Record<S, readonly S[]>>;

export function canTransition<S extends string>(table: TransitionTable<S>, from: S, to: S): boolean {
  return table[from].includes(to);
}

export function isTerminal<S extends string>(table: TransitionTable<S>, status: S): boolean {
  return table[status].length === 0;
}
