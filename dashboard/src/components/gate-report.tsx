import type { TaskGate, TaskResult } from '../../../lambdas/core/task.js';
import { formatGateValue, gateCounts, gateLook } from '../work.js';
import { StatusIconSvg } from './status-badge.js';

/** The quality gates' verdict as the review task recorded it: one row per gate, status as text, icon and colour. */
export function GateReport({ gate }: { gate: TaskGate }) {
  return (
    <div data-testid="gate-report">
      <p class={`result-box tone-${gate.passed ? 'success' : 'danger'}`} style={{ margin: '0 0 10px', display: 'flex', gap: '8px', alignItems: 'flex-start' }}>
        <StatusIconSvg icon={gate.passed ? 'check' : 'cross'} />
        <span>
          <strong>{gate.passed ? 'All blocking gates passed' : 'A gate failed'}</strong> · {gateCounts(gate)}
          {gate.fixAttempts > 0 ? ` · after ${gate.fixAttempts} fix ${gate.fixAttempts === 1 ? 'round' : 'rounds'}` : ''}
        </span>
      </p>
      <div class="table-scroll">
        <table class="data-table gate-table">
          <caption class="visually-hidden">Quality gates</caption>
          <thead>
            <tr>
              <th scope="col">Gate</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Value
              </th>
              <th scope="col" class="num">
                Threshold
              </th>
              <th scope="col">Summary</th>
            </tr>
          </thead>
          <tbody>
            {gate.gates.map((row) => {
              const look = gateLook(row);
              return (
                <tr key={row.gate} data-gate={row.gate} data-gate-status={row.status}>
                  <th scope="row" class="mono">
                    {row.gate}
                  </th>
                  <td>
                    <span class={`badge badge-compact tone-${look.tone}`} title={look.hint}>
                      <StatusIconSvg icon={look.icon} size={13} />
                      <span>{look.label}</span>
                    </span>
                  </td>
                  <td class="num">{formatGateValue(row.gate, row.value)}</td>
                  <td class="num">{formatGateValue(row.gate, row.threshold)}</td>
                  <td class="gate-summary">{row.summary ?? <span class="muted">—</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function ReviewDecision({ review }: { review: NonNullable<TaskResult['review']> }) {
  const approved = review.decision === 'approve';
  return (
    <div class={`review-decision tone-${approved ? 'success' : 'danger'}`} data-testid="review-decision" data-decision={review.decision}>
      <strong>
        <StatusIconSvg icon={approved ? 'check' : 'cross'} />
        {approved ? 'Approved' : 'Changes requested'}
      </strong>
      {review.reasons.length > 0 && (
        <ul>
          {review.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
