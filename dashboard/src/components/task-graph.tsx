import { useMemo, useRef } from 'preact/hooks';
import type { TaskStatus } from '../../../lambdas/core/task.js';
import { defaultDagLayoutOptions, layoutDag, type DagLayout } from '../dag-layout.js';
import { taskLooks } from '../status.js';
import { formatDurationShort } from '../format.js';
import { taskDuration, type TaskTiming } from '../timeline.js';
import { IconShape } from './status-badge.js';

export interface GraphTask {
  readonly id: string;
  readonly title: string;
  readonly dependsOn: readonly string[];
  readonly estimatedSeconds: number;
  readonly status: TaskStatus;
  readonly agentType: string;
  readonly attempts: number;
}

interface TaskGraphProps {
  readonly tasks: readonly GraphTask[];
  readonly timings?: ReadonlyMap<string, TaskTiming>;
  readonly now: number;
  readonly selectedId?: string;
  readonly onSelect?: (id: string) => void;
  /** For the screen-reader name of the graph. */
  readonly label: string;
  /** Shrink to the container however small (a preview); otherwise scroll below 62% scale, where text stops being readable. */
  readonly fit?: boolean;
}

const W = 208;
const H = 76;
const MIN_SCALE = 0.62;
const layoutOptions = { ...defaultDagLayoutOptions, nodeWidth: W, nodeHeight: H, layerGap: 60 };

/** The task DAG: layers left to right, edges as curves, the critical path in bold ink. */
export function TaskGraph({ tasks, timings, now, selectedId, onSelect, label, fit }: TaskGraphProps) {
  const shape = tasks.map((task) => `${task.id}<${task.dependsOn.join(',')}:${task.estimatedSeconds}`).join(';');
  // Statuses change often; the drawing only when the plan does.
  const layout = useMemo<DagLayout>(() => layoutDag(tasks, layoutOptions), [shape]);
  const svgRef = useRef<SVGSVGElement>(null);
  const byId = useMemo(() => new Map(tasks.map((task) => [task.id, task])), [tasks]);

  if (tasks.length === 0) return null;

  const related = new Set<string>();
  if (selectedId) {
    for (const edge of layout.edges) if (edge.from === selectedId || edge.to === selectedId) related.add(`${edge.from}>${edge.to}`);
  }

  const focusTask = (id: string | undefined) => {
    if (!id) return;
    svgRef.current?.querySelector<SVGGElement>(`[data-task-id="${CSS.escape(id)}"]`)?.focus();
  };

  const onKeyDown = (event: KeyboardEvent, id: string) => {
    const node = layout.nodes.find((n) => n.id === id)!;
    const task = byId.get(id)!;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onSelect?.(id);
      return;
    }
    const sameLayer = layout.nodes.filter((n) => n.layer === node.layer).sort((a, b) => a.y - b.y);
    const index = sameLayer.findIndex((n) => n.id === id);
    const moves: Record<string, () => string | undefined> = {
      ArrowUp: () => sameLayer[index - 1]?.id,
      ArrowDown: () => sameLayer[index + 1]?.id,
      ArrowLeft: () => task.dependsOn[0],
      ArrowRight: () => tasks.find((t) => t.dependsOn.includes(id))?.id,
      Home: () => layout.nodes[0]?.id,
      End: () => layout.nodes.at(-1)?.id,
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      focusTask(move());
    }
  };

  const edgeClass = (from: string, to: string, critical: boolean) =>
    related.has(`${from}>${to}`) ? 'related' : critical ? 'critical' : 'plain';

  return (
    <svg
      ref={svgRef}
      class="dag"
      role="group"
      aria-label={label}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      width={layout.width}
      style={{ width: '100%', maxWidth: `${layout.width}px`, minWidth: fit ? 0 : `${Math.round(layout.width * MIN_SCALE)}px` }}
      data-testid="task-graph"
    >
      <defs>
        {(['plain', 'critical', 'related'] as const).map((kind) => (
          <marker id={`dag-arrow-${kind}`} key={kind} viewBox="0 0 10 10" refX="9.5" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
            <path d="M0,1 L9.5,5 L0,9 z" fill={kind === 'plain' ? 'var(--edge)' : kind === 'critical' ? 'var(--critical)' : 'var(--brand)'} />
          </marker>
        ))}
        <clipPath id="dag-node-clip">
          <rect width={W} height={H} rx="10" />
        </clipPath>
      </defs>
      <g aria-hidden="true">
        {layout.edges
          .map((edge) => ({ edge, kind: edgeClass(edge.from, edge.to, edge.critical) }))
          // Highlighted edges last, so they draw on top.
          .sort((a, b) => rank(a.kind) - rank(b.kind))
          .map(({ edge, kind }) => (
            <path
              key={`${edge.from}>${edge.to}`}
              class={`dag-edge ${kind === 'plain' ? '' : kind}`}
              d={edge.path}
              marker-end={`url(#dag-arrow-${kind})`}
              data-edge={`${edge.from}>${edge.to}`}
            />
          ))}
      </g>
      {layout.nodes.map((node) => {
        const task = byId.get(node.id)!;
        const look = taskLooks[task.status];
        const duration = taskDuration(timings?.get(task.id), now);
        const statusText = duration === undefined ? look.label : `${look.label} · ${formatDurationShort(duration)}`;
        const selected = task.id === selectedId;
        const attempts = task.attempts > 1 ? `attempt ${task.attempts}` : '';
        return (
          <g
            key={node.id}
            class={`dag-node tone-${look.tone}${node.critical ? ' critical' : ''}${selected ? ' selected' : ''}`}
            transform={`translate(${node.x},${node.y})`}
            // Lower case: SVG attributes are case-sensitive, and Preact sets them as written.
            tabindex={0}
            role="button"
            aria-pressed={selected}
            aria-label={`${task.title} (${task.id}): ${look.label}${duration === undefined ? '' : ` for ${formatDurationShort(duration)}`}, ${task.agentType} agent${node.critical ? ', on the critical path' : ''}`}
            data-task-id={task.id}
            data-status={task.status}
            data-testid="dag-node"
            onClick={() => onSelect?.(task.id)}
            onKeyDown={(event) => onKeyDown(event, task.id)}
          >
            <rect class="node-focus" x="-5" y="-5" width={W + 10} height={H + 10} rx="14" />
            <rect class="node-shadow" x="0" y="2" width={W} height={H} rx="10" />
            <rect class="node-box" width={W} height={H} rx="10" />
            <rect class="node-stripe" width="5" height={H} clip-path="url(#dag-node-clip)" />
            <text class="node-title" x="16" y="24">
              {ellipsize(task.title, W - 30, '650 13px')}
            </text>
            <g class="node-icon" transform="translate(15,33)">
              <svg width="15" height="15" viewBox="0 0 16 16" overflow="visible">
                <IconShape icon={look.icon} />
              </svg>
            </g>
            <text class="node-status" x="36" y="45">
              {statusText}
            </text>
            {attempts && (
              <text class="node-meta" x={W - 12} y="45" text-anchor="end">
                {attempts}
              </text>
            )}
            <text class="node-id" x="16" y="64">
              {ellipsize(task.id, W - 100, '500 11px', true)}
            </text>
            <text class="node-meta" x={W - 12} y="64" text-anchor="end">
              {task.agentType} agent
            </text>
            {node.critical && (
              <g transform={`translate(${W - 70},-8)`}>
                <rect class="node-crit" width="60" height="16" rx="8" />
                <text class="node-crit-text" x="30" y="11.5" text-anchor="middle">
                  CRITICAL
                </text>
              </g>
            )}
            <title>{`${task.title}\n${look.label}: ${look.hint}`}</title>
          </g>
        );
      })}
    </svg>
  );
}

function rank(kind: string): number {
  return kind === 'plain' ? 0 : kind === 'critical' ? 1 : 2;
}

let measureContext: CanvasRenderingContext2D | null | undefined;
const fontStack = "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans', 'DejaVu Sans', sans-serif";
const monoStack = "ui-monospace, 'SFMono-Regular', 'JetBrains Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace";

/** Cuts `text` with an ellipsis to fit `maxWidth` pixels, measured in the font the node uses. */
function ellipsize(text: string, maxWidth: number, font: string, mono = false): string {
  if (measureContext === undefined) measureContext = document.createElement('canvas').getContext('2d');
  const ctx = measureContext;
  const width = (value: string) => {
    if (!ctx) return value.length * 7.6;
    ctx.font = `${font} ${mono ? monoStack : fontStack}`;
    return ctx.measureText(value).width;
  };
  if (width(text) <= maxWidth) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (width(`${text.slice(0, mid).trimEnd()}…`) <= maxWidth) low = mid;
    else high = mid - 1;
  }
  return `${text.slice(0, low).trimEnd()}…`;
}
