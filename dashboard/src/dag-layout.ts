import { levels, longestRemainingPaths } from '../../lambdas/core/scheduling.js';
import { topologicalOrder } from '../../lambdas/core/task-graph.js';

/**
 * A layered (Sugiyama-style) drawing of a task DAG, left to right:
 * 1. layers from the domain's `levels` (a task sits one layer after its deepest dependency);
 * 2. an edge that spans several layers gets a dummy vertex in each layer it crosses, so it
 *    routes between nodes instead of through them;
 * 3. the order within each layer is found by barycentre sweeps, keeping the order with the
 *    fewest crossings;
 * 4. vertical positions are pulled towards their neighbours by isotonic regression (the
 *    least-squares placement that keeps the order and the minimum gaps), which straightens
 *    chains and long edges.
 * Pure and deterministic: the same plan always draws the same way.
 */
export interface DagTask {
  readonly id: string;
  readonly dependsOn: readonly string[];
  readonly estimatedSeconds: number;
}

export interface DagNode {
  readonly id: string;
  readonly layer: number;
  /** Top-left corner. */
  readonly x: number;
  readonly y: number;
  readonly critical: boolean;
}

export interface DagEdge {
  readonly from: string;
  readonly to: string;
  readonly critical: boolean;
  /** SVG path data from the right side of `from` to the left side of `to`. */
  readonly path: string;
}

export interface DagLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly DagNode[];
  readonly edges: readonly DagEdge[];
  /** Task ids on the critical path, in order. */
  readonly criticalPath: readonly string[];
  readonly layerCount: number;
}

export interface DagLayoutOptions {
  readonly nodeWidth: number;
  readonly nodeHeight: number;
  readonly layerGap: number;
  readonly nodeGap: number;
  readonly padding: number;
}

export const defaultDagLayoutOptions: DagLayoutOptions = { nodeWidth: 212, nodeHeight: 66, layerGap: 76, nodeGap: 18, padding: 18 };

interface Vertex {
  readonly key: string;
  readonly layer: number;
  readonly dummy: boolean;
  readonly up: string[];
  readonly down: string[];
  y: number;
}

const DUMMY_HEIGHT = 6;
const DUMMY_GAP = 10;
/** Long edges weigh more when placing, so they stay straight (as in Brandes–Köpf). */
const DUMMY_WEIGHT = 2;
const ORDER_SWEEPS = 12;
const PLACE_SWEEPS = 16;

/**
 * The chain of tasks with the longest total estimate: nothing on it can slip without the
 * feature finishing later. Starts at the root with the longest remaining path, then follows
 * the dependent that carries that path on.
 */
export function criticalPath(tasks: readonly DagTask[]): string[] {
  if (tasks.length === 0) return [];
  const paths = longestRemainingPaths(tasks.map((task) => ({ ...task, dependsOn: [...task.dependsOn] })));
  const dependents = new Map<string, DagTask[]>();
  for (const task of tasks) for (const dep of task.dependsOn) dependents.set(dep, [...(dependents.get(dep) ?? []), task]);
  const best = (candidates: readonly DagTask[]) =>
    candidates.reduce<DagTask | undefined>((top, task) => (top === undefined || paths.get(task.id)! > paths.get(top.id)! ? task : top), undefined);
  const chain: string[] = [];
  let current = best(tasks.filter((task) => task.dependsOn.length === 0));
  while (current) {
    chain.push(current.id);
    current = best(dependents.get(current.id) ?? []);
  }
  return chain;
}

export function layoutDag(input: readonly DagTask[], options: DagLayoutOptions = defaultDagLayoutOptions): DagLayout {
  const { nodeWidth, nodeHeight, layerGap, nodeGap, padding } = options;
  if (input.length === 0) return { width: 0, height: 0, nodes: [], edges: [], criticalPath: [], layerCount: 0 };
  const known = new Set(input.map((task) => task.id));
  // Dependencies on unknown ids cannot be drawn (the API validates plans, so this is defensive).
  const clean = input.map((task) => ({ ...task, dependsOn: task.dependsOn.filter((dep) => known.has(dep)) }));
  const byId = new Map(clean.map((task) => [task.id, task]));
  const tasks = topologicalOrder(clean).map((id) => byId.get(id)!);
  const level = levels(tasks);
  const layerCount = Math.max(...level.values()) + 1;

  // Vertices, with a dummy wherever an edge crosses a layer.
  const vertices = new Map<string, Vertex>();
  const layers: string[][] = Array.from({ length: layerCount }, () => []);
  const addVertex = (key: string, layer: number, dummy: boolean) => {
    vertices.set(key, { key, layer, dummy, up: [], down: [], y: 0 });
    layers[layer]!.push(key);
  };
  for (const task of tasks) addVertex(task.id, level.get(task.id)!, false);
  const chains: { from: string; to: string; keys: string[] }[] = [];
  for (const task of tasks) {
    for (const dep of task.dependsOn) {
      const keys = [dep];
      for (let layer = level.get(dep)! + 1; layer < level.get(task.id)!; layer++) {
        const key = `${dep}\u0000${task.id}\u0000${layer}`;
        addVertex(key, layer, true);
        keys.push(key);
      }
      keys.push(task.id);
      for (let i = 0; i + 1 < keys.length; i++) {
        vertices.get(keys[i]!)!.down.push(keys[i + 1]!);
        vertices.get(keys[i + 1]!)!.up.push(keys[i]!);
      }
      chains.push({ from: dep, to: task.id, keys });
    }
  }

  const order = reduceCrossings(layers, vertices);
  placeVertically(order, vertices, { nodeHeight, nodeGap });

  // Normalise: the highest vertex starts at the padding.
  let top = Infinity;
  let bottom = -Infinity;
  for (const vertex of vertices.values()) {
    const half = (vertex.dummy ? DUMMY_HEIGHT : nodeHeight) / 2;
    top = Math.min(top, vertex.y - half);
    bottom = Math.max(bottom, vertex.y + half);
  }
  const shift = padding - top;
  for (const vertex of vertices.values()) vertex.y += shift;

  const columnX = (layer: number) => padding + layer * (nodeWidth + layerGap);
  const critical = criticalPath(tasks);
  const criticalNodes = new Set(critical);
  const criticalEdges = new Set(critical.slice(1).map((id, i) => `${critical[i]}\u0000${id}`));

  const nodes: DagNode[] = tasks.map((task) => {
    const vertex = vertices.get(task.id)!;
    return { id: task.id, layer: vertex.layer, x: columnX(vertex.layer), y: vertex.y - nodeHeight / 2, critical: criticalNodes.has(task.id) };
  });

  const edges: DagEdge[] = chains.map(({ from, to, keys }) => {
    const source = vertices.get(from)!;
    let x = columnX(source.layer) + nodeWidth;
    let y = source.y;
    let path = `M${x},${y}`;
    for (const key of keys.slice(1)) {
      const vertex = vertices.get(key)!;
      const entryX = columnX(vertex.layer);
      const bend = (entryX - x) / 2;
      path += ` C${x + bend},${y} ${entryX - bend},${vertex.y} ${entryX},${vertex.y}`;
      x = entryX;
      y = vertex.y;
      if (vertex.dummy) {
        x = entryX + nodeWidth;
        path += ` L${x},${y}`;
      }
    }
    return { from, to, critical: criticalEdges.has(`${from}\u0000${to}`), path: roundPath(path) };
  });

  return {
    width: Math.ceil(columnX(layerCount - 1) + nodeWidth + padding),
    height: Math.ceil(bottom - top + 2 * padding),
    nodes,
    edges,
    criticalPath: critical,
    layerCount,
  };
}

function roundPath(path: string): string {
  return path.replace(/-?\d+\.\d+/g, (number) => String(Math.round(Number(number) * 10) / 10));
}

/** Barycentre sweeps down and up; returns the layer orders with the fewest crossings seen. */
function reduceCrossings(initial: readonly string[][], vertices: ReadonlyMap<string, Vertex>): string[][] {
  let order = initial.map((layer) => [...layer]);
  let best = order.map((layer) => [...layer]);
  let bestCrossings = countCrossings(order, vertices);
  for (let sweep = 0; sweep < ORDER_SWEEPS && bestCrossings > 0; sweep++) {
    const downward = sweep % 2 === 0;
    const range = downward ? order.map((_, i) => i).slice(1) : order.map((_, i) => i).slice(0, -1).reverse();
    for (const layerIndex of range) {
      const neighbourLayer = order[downward ? layerIndex - 1 : layerIndex + 1]!;
      const position = new Map(neighbourLayer.map((key, index) => [key, index]));
      const layer = order[layerIndex]!;
      const centre = new Map(
        layer.map((key, index) => {
          const vertex = vertices.get(key)!;
          const neighbours = (downward ? vertex.up : vertex.down).map((n) => position.get(n)!);
          // A vertex with no neighbour on that side keeps its place.
          return [key, neighbours.length === 0 ? index : neighbours.reduce((a, b) => a + b, 0) / neighbours.length];
        }),
      );
      layer.sort((a, b) => centre.get(a)! - centre.get(b)!);
    }
    const crossings = countCrossings(order, vertices);
    if (crossings < bestCrossings) {
      bestCrossings = crossings;
      best = order.map((layer) => [...layer]);
    }
  }
  order = best;
  return order;
}

function countCrossings(order: readonly string[][], vertices: ReadonlyMap<string, Vertex>): number {
  let crossings = 0;
  for (let i = 0; i + 1 < order.length; i++) {
    const below = new Map(order[i + 1]!.map((key, index) => [key, index]));
    const segments: [number, number][] = [];
    order[i]!.forEach((key, index) => {
      for (const next of vertices.get(key)!.down) segments.push([index, below.get(next)!]);
    });
    for (let a = 0; a < segments.length; a++) {
      for (let b = a + 1; b < segments.length; b++) {
        const [a1, a2] = segments[a]!;
        const [b1, b2] = segments[b]!;
        if ((a1 - b1) * (a2 - b2) < 0) crossings++;
      }
    }
  }
  return crossings;
}

/**
 * Places vertex centres: each sweep moves every layer as close as it can to the mean of its
 * neighbours' centres while keeping the order and the minimum gaps.
 */
function placeVertically(order: readonly string[][], vertices: ReadonlyMap<string, Vertex>, sizes: { nodeHeight: number; nodeGap: number }): void {
  const height = (vertex: Vertex) => (vertex.dummy ? DUMMY_HEIGHT : sizes.nodeHeight);
  const gap = (a: Vertex, b: Vertex) => (height(a) + height(b)) / 2 + (a.dummy || b.dummy ? DUMMY_GAP : sizes.nodeGap);
  const tallest = Math.max(...order.map((layer) => span(layer)));
  function span(layer: readonly string[]): number {
    let total = 0;
    for (let i = 1; i < layer.length; i++) total += gap(vertices.get(layer[i - 1]!)!, vertices.get(layer[i]!)!);
    return total;
  }
  // Start with every layer centred on the tallest one.
  for (const layer of order) {
    let y = (tallest - span(layer)) / 2;
    layer.forEach((key, index) => {
      if (index > 0) y += gap(vertices.get(layer[index - 1]!)!, vertices.get(key)!);
      vertices.get(key)!.y = y;
    });
  }
  for (let sweep = 0; sweep < PLACE_SWEEPS; sweep++) {
    const last = sweep >= PLACE_SWEEPS - 2;
    const downward = sweep % 2 === 0;
    const indexes = order.map((_, i) => i);
    for (const layerIndex of downward ? indexes : indexes.reverse()) {
      const layer = order[layerIndex]!.map((key) => vertices.get(key)!);
      if (layer.length === 0) continue;
      const targets = layer.map((vertex) => {
        // The last sweeps look both ways, so no side wins just because it was placed last.
        const neighbours = last ? [...vertex.up, ...vertex.down] : downward ? vertex.up : vertex.down;
        if (neighbours.length === 0) return vertex.y;
        return neighbours.reduce((sum, key) => sum + vertices.get(key)!.y, 0) / neighbours.length;
      });
      const weights = layer.map((vertex) => (vertex.dummy ? DUMMY_WEIGHT : 1));
      const offsets = [0];
      for (let i = 1; i < layer.length; i++) offsets.push(offsets[i - 1]! + gap(layer[i - 1]!, layer[i]!));
      const placed = isotonic(
        targets.map((target, i) => target - offsets[i]!),
        weights,
      );
      layer.forEach((vertex, i) => (vertex.y = placed[i]! + offsets[i]!));
    }
  }
}

/** Weighted least-squares non-decreasing fit (pool adjacent violators). */
export function isotonic(values: readonly number[], weights: readonly number[]): number[] {
  const blocks: { value: number; weight: number; count: number }[] = [];
  values.forEach((value, i) => {
    blocks.push({ value, weight: weights[i]!, count: 1 });
    while (blocks.length > 1 && blocks.at(-2)!.value > blocks.at(-1)!.value) {
      const b = blocks.pop()!;
      const a = blocks.pop()!;
      const weight = a.weight + b.weight;
      blocks.push({ value: (a.value * a.weight + b.value * b.weight) / weight, weight, count: a.count + b.count });
    }
  });
  return blocks.flatMap((block) => Array.from({ length: block.count }, () => block.value));
}
