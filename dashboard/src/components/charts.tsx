/** Small SVG charts: enough for a handful of series, with a data table as the text alternative. */

export interface Series {
  readonly label: string;
  /** CSS class that fills the bars (`bar-a`, `bar-b`, `bar-c`). */
  readonly className: string;
  readonly colour: string;
}

const WIDTH = 640;
const LEFT = 46;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 30;

/** A round upper bound for the axis and its tick step. */
export function niceScale(max: number, ticks = 4): { top: number; step: number } {
  if (!(max > 0)) return { top: ticks, step: 1 };
  const rough = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= rough)!;
  return { top: step * Math.ceil(max / step), step };
}

export function BarChart({
  label,
  categories,
  series,
  values,
  formatTick = String,
  height = 220,
  reference,
}: {
  label: string;
  categories: readonly string[];
  series: readonly Series[];
  /** values[category][series] */
  values: readonly (readonly number[])[];
  formatTick?: (value: number) => string;
  height?: number;
  reference?: { value: number; label: string };
}) {
  const max = Math.max(0, reference?.value ?? 0, ...values.flat());
  const { top, step } = niceScale(max);
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = height - TOP - BOTTOM;
  const y = (value: number) => TOP + plotH - (value / top) * plotH;
  const band = plotW / Math.max(1, categories.length);
  const barW = Math.min(28, (band * 0.72) / series.length);
  const labelEvery = Math.ceil(categories.length / 10);
  const ticks: number[] = [];
  for (let value = 0; value <= top + step / 2; value += step) ticks.push(value);
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={label} preserveAspectRatio="xMidYMid meet">
      {ticks.map((tick) => (
        <g key={tick}>
          <line class="grid-line" x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} />
          <text class="axis-label" x={LEFT - 8} y={y(tick) + 4} text-anchor="end">
            {formatTick(tick)}
          </text>
        </g>
      ))}
      {categories.map((category, i) => {
        const x0 = LEFT + i * band + (band - barW * series.length) / 2;
        return (
          <g key={category}>
            {series.map((s, j) => {
              const value = values[i]?.[j] ?? 0;
              return value > 0 ? <rect key={s.label} class={s.className} x={x0 + j * barW} y={y(value)} width={Math.max(2, barW - 2)} height={y(0) - y(value)} rx="3" /> : null;
            })}
            {i % labelEvery === 0 && (
              <text class="axis-label" x={LEFT + i * band + band / 2} y={height - 10} text-anchor="middle">
                {category}
              </text>
            )}
          </g>
        );
      })}
      {reference && reference.value > 0 && (
        <g>
          <line class="median-line" x1={LEFT} x2={WIDTH - RIGHT} y1={y(reference.value)} y2={y(reference.value)} />
          <text class="axis-label" x={WIDTH - RIGHT - 4} y={y(reference.value) - 6} text-anchor="end">
            {reference.label}
          </text>
        </g>
      )}
    </svg>
  );
}

/** One row per group: a bar to the median and a whisker to the 90th percentile. */
export function RangeChart({
  label,
  rows,
  format,
}: {
  label: string;
  rows: readonly { group: string; median: number; p90: number; count: number }[];
  format: (value: number) => string;
}) {
  const rowH = 38;
  const height = TOP + rows.length * rowH + BOTTOM;
  const left = 86;
  const right = 110;
  const { top } = niceScale(Math.max(...rows.map((row) => row.p90)));
  const x = (value: number) => left + (value / top) * (WIDTH - left - right);
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={label}>
      {[0, 0.25, 0.5, 0.75, 1].map((f) => (
        <g key={f}>
          <line class="grid-line" x1={x(top * f)} x2={x(top * f)} y1={TOP} y2={height - BOTTOM} />
          <text class="axis-label" x={x(top * f)} y={height - 10} text-anchor="middle">
            {format(top * f)}
          </text>
        </g>
      ))}
      {rows.map((row, i) => {
        const cy = TOP + i * rowH + rowH / 2;
        return (
          <g key={row.group}>
            <text class="axis-label" x={left - 10} y={cy + 4} text-anchor="end" style={{ fontWeight: 600 }}>
              {row.group}
            </text>
            <rect class="bar-c" x={left} y={cy - 9} width={Math.max(2, x(row.median) - left)} height="18" rx="4" />
            <line class="whisker" x1={x(row.median)} x2={x(row.p90)} y1={cy} y2={cy} />
            <line class="whisker" x1={x(row.p90)} x2={x(row.p90)} y1={cy - 7} y2={cy + 7} />
            <text class="axis-label" x={WIDTH - right + 10} y={cy + 4}>
              {format(row.median)} · {row.count} runs
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function ChartLegend({ series, extra }: { series: readonly Series[]; extra?: { label: string; colour: string; dashed?: boolean } }) {
  return (
    <ul class="chart-legend">
      {series.map((s) => (
        <li key={s.label}>
          <i style={{ background: s.colour }} aria-hidden="true" />
          {s.label}
        </li>
      ))}
      {extra && (
        <li>
          <i style={{ background: 'none', borderTop: `2px dashed ${extra.colour}`, height: 0, width: '18px', borderRadius: 0 }} aria-hidden="true" />
          {extra.label}
        </li>
      )}
    </ul>
  );
}

/**
 * The numbers behind a chart, collapsed under it: for screen readers and for
 * copying. The first column is text (a day, a feature, an agent), the others numbers.
 */
export function ChartData({ columns, rows }: { columns: readonly string[]; rows: ReadonlyArray<{ key: string; cells: ReadonlyArray<string | number> }> }) {
  return (
    <details class="data">
      <summary>Data table</summary>
      <table class="data-table">
        <thead>
          <tr>
            {columns.map((column, index) => (
              <th key={column} scope="col" class={index > 0 ? 'num' : undefined}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              {row.cells.map((cell, index) => (
                <td key={index} class={index > 0 ? 'num' : undefined}>
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
