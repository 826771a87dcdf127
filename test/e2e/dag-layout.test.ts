import { describe, expect, it } from 'vitest';
import { criticalPath, defaultDagLayoutOptions, isotonic, layoutDag, type DagLayout, type DagTask } from '../../dashboard/src/dag-layout.js';

const task = (id: string, dependsOn: string[] = [], estimatedSeconds = 60): DagTask => ({ id, dependsOn, estimatedSeconds });
const { nodeWidth, nodeHeight, nodeGap } = defaultDagLayoutOptions;

function expectNoOverlaps(layout: DagLayout) {
  const byLayer = new Map<number, number[]>();
  for (const node of layout.nodes) byLayer.set(node.layer, [...(byLayer.get(node.layer) ?? []), node.y]);
  for (const ys of byLayer.values()) {
    const sorted = [...ys].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(nodeHeight + nodeGap - 0.01);
  }
  for (const node of layout.nodes) {
    expect(node.x).toBeGreaterThanOrEqual(0);
    expect(node.y).toBeGreaterThanOrEqual(0);
    expect(node.x + nodeWidth).toBeLessThanOrEqual(layout.width);
    expect(node.y + nodeHeight).toBeLessThanOrEqual(layout.height);
  }
}

/** A pseudo-random DAG: each task depends on up to three earlier ones. */
function randomPlan(size: number, seed: number): DagTask[] {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const tasks: DagTask[] = [];
  for (let i = 0; i < size; i++) {
    const deps = new Set<string>();
    for (let d = 0; d < 3 && i > 0; d++) if (random() < 0.6) deps.add(`t${Math.floor(random() * i)}`);
    tasks.push(task(`t${i}`, [...deps], 10 + Math.floor(random() * 100)));
  }
  return tasks;
}

describe('DAG layout for the dashboard', () => {
  it('puts each task one layer after its deepest dependency, left to right', () => {
    const layout = layoutDag([task('a'), task('b', ['a']), task('c', ['a']), task('d', ['b', 'c']), task('e', ['a'])]);
    const layer = Object.fromEntries(layout.nodes.map((node) => [node.id, node.layer]));
    expect(layer).toEqual({ a: 0, b: 1, c: 1, e: 1, d: 2 });
    const x = Object.fromEntries(layout.nodes.map((node) => [node.id, node.x]));
    expect(x['a']!).toBeLessThan(x['b']!);
    expect(x['b']).toBe(x['c']);
    expect(x['b']!).toBeLessThan(x['d']!);
    expect(layout.layerCount).toBe(3);
    expectNoOverlaps(layout);
  });

  it('marks the chain with the longest estimate as the critical path, nodes and edges', () => {
    const tasks = [task('spec', [], 10), task('api', ['spec'], 100), task('ui', ['spec'], 20), task('tests', ['api', 'ui'], 30)];
    expect(criticalPath(tasks)).toEqual(['spec', 'api', 'tests']);
    const layout = layoutDag(tasks);
    expect(layout.nodes.filter((node) => node.critical).map((node) => node.id).sort()).toEqual(['api', 'spec', 'tests']);
    expect(layout.edges.filter((edge) => edge.critical).map((edge) => `${edge.from}>${edge.to}`).sort()).toEqual(['api>tests', 'spec>api']);
  });

  it('routes an edge that skips layers through a lane instead of across the nodes between', () => {
    const layout = layoutDag([task('a'), task('b', ['a']), task('c', ['b']), task('d', ['a', 'c'])]);
    const long = layout.edges.find((edge) => edge.from === 'a' && edge.to === 'd')!;
    // One straight run through each of the two layers it crosses.
    expect(long.path.match(/ L/g)).toHaveLength(2);
    const short = layout.edges.find((edge) => edge.from === 'a' && edge.to === 'b')!;
    expect(short.path).toMatch(/^M[\d.]+,[\d.]+ C[^L]+$/);
  });

  it('draws a diamond and a fan-in without crossings, with straight chains', () => {
    const layout = layoutDag([task('a'), task('b', ['a']), task('c', ['b']), task('d', ['c'])]);
    expect(new Set(layout.nodes.map((node) => node.y)).size).toBe(1);
    const diamond = layoutDag([task('a'), task('b', ['a']), task('c', ['a']), task('d', ['b', 'c'])]);
    const y = Object.fromEntries(diamond.nodes.map((node) => [node.id, node.y]));
    // The join sits between its two parents.
    expect(y['d']!).toBeGreaterThan(Math.min(y['b']!, y['c']!));
    expect(y['d']!).toBeLessThan(Math.max(y['b']!, y['c']!));
  });

  it.each([8, 20, 40])('lays out %i tasks without overlaps, the same way every time', (size) => {
    const plan = randomPlan(size, size * 7 + 1);
    const layout = layoutDag(plan);
    expect(layout.nodes).toHaveLength(size);
    expect(layout.edges).toHaveLength(plan.reduce((sum, t) => sum + t.dependsOn.length, 0));
    expectNoOverlaps(layout);
    expect(layoutDag(plan)).toEqual(layout);
    // Input order does not matter: the layout sorts topologically itself.
    expect(layoutDag([...plan].reverse()).nodes.map((n) => [n.id, n.layer]).sort()).toEqual(layout.nodes.map((n) => [n.id, n.layer]).sort());
  });

  it('draws nothing for no tasks and ignores dependencies it cannot see', () => {
    expect(layoutDag([])).toMatchObject({ width: 0, height: 0, nodes: [], edges: [] });
    expect(layoutDag([task('a', ['ghost'])]).edges).toEqual([]);
  });

  it('fits the closest non-decreasing sequence (pool adjacent violators)', () => {
    expect(isotonic([1, 3, 2, 4], [1, 1, 1, 1])).toEqual([1, 2.5, 2.5, 4]);
    expect(isotonic([5, 1], [1, 3])).toEqual([2, 2]);
    expect(isotonic([], [])).toEqual([]);
  });
});
