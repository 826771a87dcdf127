import { InvalidPlanError } from './errors.js';

export interface GraphNode {
  readonly id: string;
  readonly dependsOn: readonly string[];
}

/**
 * Checks that a set of tasks forms a DAG the orchestrator can run and returns
 * the ids in a topological order: dependencies first; among tasks ready at the
 * same point, `before` decides (default: input order, so plans stay readable).
 * Throws InvalidPlanError naming the offending entry.
 */
export function topologicalOrder(nodes: readonly GraphNode[], before?: (a: string, b: string) => number): string[] {
  const indexById = new Map<string, number>();
  nodes.forEach((node, index) => {
    if (indexById.has(node.id)) {
      throw new InvalidPlanError(`task id "${node.id}" is used twice`, [index, 'id']);
    }
    indexById.set(node.id, index);
  });

  const dependents = new Map<string, string[]>();
  const remaining = new Map<string, number>();
  nodes.forEach((node, index) => {
    const unique = new Set(node.dependsOn);
    node.dependsOn.forEach((dep, depIndex) => {
      if (dep === node.id) throw new InvalidPlanError(`task "${node.id}" depends on itself`, [index, 'dependsOn', depIndex]);
      if (!indexById.has(dep)) {
        throw new InvalidPlanError(`task "${node.id}" depends on unknown task "${dep}"`, [index, 'dependsOn', depIndex]);
      }
    });
    for (const dep of unique) dependents.set(dep, [...(dependents.get(dep) ?? []), node.id]);
    remaining.set(node.id, unique.size);
  });

  // Kahn's algorithm; the ready list is kept sorted, ties broken by input position for a stable order.
  const compare = (a: string, b: string) => (before?.(a, b) ?? 0) || indexById.get(a)! - indexById.get(b)!;
  const ready = nodes.filter((n) => remaining.get(n.id) === 0).map((n) => n.id).sort(compare);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const dependent of dependents.get(id) ?? []) {
      const left = remaining.get(dependent)! - 1;
      remaining.set(dependent, left);
      if (left === 0) {
        ready.push(dependent);
        ready.sort(compare);
      }
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.find((n) => !order.includes(n.id))!;
    throw new InvalidPlanError(`the plan has a dependency cycle through task "${stuck.id}"`, [indexById.get(stuck.id)!, 'dependsOn']);
  }
  return order;
}
