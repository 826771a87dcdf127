/** `await-dependencies` → `AwaitDependencies`, `code` → `Code`: construct ids from entry folders and agent types. */
export const pascalCase = (name: string): string => name.replace(/(^|-)([a-z0-9])/g, (_match, _dash, letter: string) => letter.toUpperCase());
