import type { FeatureStatus } from '../../../lambdas/core/feature.js';
import type { TaskStatus } from '../../../lambdas/core/task.js';
import { featureLooks, taskLooks, type StatusIcon, type StatusLook } from '../status.js';

/** The shapes of the status icons, drawn on a 16×16 grid so they stay crisp without an icon font. */
export function IconShape({ icon }: { icon: StatusIcon }) {
  const line = { fill: 'none', stroke: 'currentColor', 'stroke-width': 1.8, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' } as const;
  switch (icon) {
    case 'circle':
      return <circle cx="8" cy="8" r="5.5" {...line} />;
    case 'dotted':
      return <circle cx="8" cy="8" r="5.5" {...line} stroke-dasharray="2 2.6" />;
    case 'clock':
      return (
        <g {...line}>
          <circle cx="8" cy="8" r="5.8" />
          <path d="M8 4.8V8l2.2 1.6" />
        </g>
      );
    case 'spinner':
      return (
        <g {...line}>
          <circle cx="8" cy="8" r="5.5" opacity="0.28" />
          <path class="spin" d="M8 2.5a5.5 5.5 0 0 1 5.5 5.5" />
        </g>
      );
    case 'check':
      return (
        <g>
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M4.8 8.2 7 10.4l4.2-4.6" fill="none" stroke="#fff" stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round" />
        </g>
      );
    case 'cross':
      return (
        <g>
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M5.6 5.6l4.8 4.8M10.4 5.6l-4.8 4.8" stroke="#fff" stroke-width="1.9" stroke-linecap="round" />
        </g>
      );
    case 'slash':
      return (
        <g {...line}>
          <circle cx="8" cy="8" r="5.8" />
          <path d="M4 12 12 4" />
        </g>
      );
    case 'skip':
      return (
        <g {...line}>
          <path d="M3.5 4.5 8 8l-4.5 3.5zM8.5 4.5 13 8l-4.5 3.5z" />
        </g>
      );
    case 'gate':
      return (
        <g {...line}>
          <path d="M8 2.2 13 4.4v3.4c0 3-2.1 5.1-5 6-2.9-.9-5-3-5-6V4.4z" />
          <path d="M6 8.2l1.5 1.5L10.3 7" />
        </g>
      );
    case 'pr':
      return (
        <g {...line}>
          <circle cx="4.5" cy="3.8" r="1.7" />
          <circle cx="4.5" cy="12.2" r="1.7" />
          <circle cx="11.5" cy="12.2" r="1.7" />
          <path d="M4.5 5.5v5M11.5 10.5V6.2c0-1-.8-1.8-1.8-1.8H7.5" />
        </g>
      );
    case 'merge':
      return (
        <g {...line}>
          <circle cx="4.5" cy="3.8" r="1.7" />
          <circle cx="4.5" cy="12.2" r="1.7" />
          <circle cx="11.5" cy="8" r="1.7" />
          <path d="M4.5 5.5v5M4.5 5.5c0 1.6 1.6 2.5 5.3 2.5" />
        </g>
      );
    case 'person':
      return (
        <g {...line}>
          <circle cx="8" cy="5.2" r="2.6" />
          <path d="M3 13.5c.6-2.6 2.6-4 5-4s4.4 1.4 5 4" />
        </g>
      );
    case 'warning':
      return (
        <g>
          <path d="M8 1.6 15 14H1z" fill="currentColor" stroke="currentColor" stroke-width="1.2" stroke-linejoin="round" />
          <path d="M8 6v3.6" stroke="#fff" stroke-width="1.8" stroke-linecap="round" />
          <circle cx="8" cy="11.8" r="1" fill="#fff" />
        </g>
      );
    case 'plan':
      return (
        <g {...line}>
          <path d="M3 4h10M3 8h7M3 12h4" />
        </g>
      );
  }
}

export function StatusIconSvg({ icon, size = 16 }: { icon: StatusIcon; size?: number }) {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <IconShape icon={icon} />
    </svg>
  );
}

function Badge({ look, compact }: { look: StatusLook; compact?: boolean }) {
  return (
    <span class={`badge tone-${look.tone}${compact ? ' badge-compact' : ''}`} title={look.hint} data-status-label={look.label}>
      <StatusIconSvg icon={look.icon} size={14} />
      <span>{look.label}</span>
    </span>
  );
}

export const FeatureStatusBadge = ({ status, compact }: { status: FeatureStatus; compact?: boolean }) => (
  <Badge look={featureLooks[status]} {...(compact ? { compact } : {})} />
);

export const TaskStatusBadge = ({ status, compact }: { status: TaskStatus; compact?: boolean }) => (
  <Badge look={taskLooks[status]} {...(compact ? { compact } : {})} />
);
