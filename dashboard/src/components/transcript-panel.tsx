import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { PublicTask, TranscriptEntry } from '../api.js';
import { formatClock, formatDateTime } from '../format.js';
import { TRANSCRIPT_KEPT, useTaskTranscript } from '../use-task-transcript.js';
import { formatUsd } from '../work.js';

const kindText: Record<string, string> = {
  prompt: 'prompt',
  assistant: 'says',
  tool_call: 'calls',
  tool_result: 'result',
  refusal: 'refused',
  usage: 'usage',
  stop: 'stop',
};

/** The first line with something on it, whitespace collapsed; the line itself cuts it with an ellipsis. */
export function previewOf(entry: TranscriptEntry): string {
  const line = entry.body.split('\n').find((text) => text.trim() !== '' && !/^<\/?untrusted\b/.test(text.trim())) ?? '';
  const text = line.replace(/\s+/g, ' ').trim().slice(0, 300);
  return entry.kind === 'usage' && entry.usage ? `${text} · ${formatUsd(entry.usage.costUsd)}` : text;
}

/**
 * What the selected task's agents said and did, oldest first, as GET /features/{id}/transcript
 * lists it. Each line opens to the whole body the API returned (a preview, for long ones).
 */
export function TranscriptPanel({ featureId, task }: { featureId: string; task: PublicTask }) {
  const following = task.status === 'running' || task.status === 'queued';
  const transcript = useTaskTranscript(featureId, task.id, following);
  const list = useRef<HTMLOListElement>(null);
  // Newest last, so the view sticks to the bottom while the reader is there.
  const atBottom = useRef(true);

  useEffect(() => {
    atBottom.current = true;
  }, [task.id]);

  useLayoutEffect(() => {
    const element = list.current;
    if (element && atBottom.current) element.scrollTop = element.scrollHeight;
  }, [transcript.entries]);

  const count = transcript.entries.length;
  return (
    <section class="card" aria-labelledby="transcript-title" data-testid="transcript">
      <div class="card-head">
        <div>
          <h2 id="transcript-title">Transcript</h2>
          <p>
            What the agents of <span class="mono">{task.id}</span> said and did, newest last
          </p>
        </div>
        {following ? (
          <span class="live live-live" title={`Asking for new lines every few seconds while the task works`} data-testid="transcript-following">
            <span class="live-dot" aria-hidden="true" />
            Following
          </span>
        ) : (
          count > 0 && <span class="muted">{count === TRANSCRIPT_KEPT ? `latest ${count} lines` : `${count} lines`}</span>
        )}
      </div>
      {!transcript.loaded ? (
        <p class="loading" role="status">
          Loading transcript…
        </p>
      ) : transcript.unavailable ? (
        <p class="card-body muted" style={{ margin: 0 }}>
          This server keeps no transcripts.
        </p>
      ) : count === 0 ? (
        <p class="card-body muted" style={{ margin: 0 }} data-testid="transcript-empty">
          {following
            ? 'No lines yet. They appear here as the agent works.'
            : task.sleep
              ? 'None: a sleep task only waits, it runs no model.'
              : task.status === 'succeeded' || task.status === 'failed'
                ? 'No lines were recorded for this task.'
                : 'No lines yet: the task has not started.'}
        </p>
      ) : (
        <ol
          ref={list}
          class="transcript"
          role="log"
          aria-live="polite"
          aria-relevant="additions"
          aria-label={`Transcript of ${task.id}, oldest first`}
          tabIndex={0}
          onScroll={(event) => {
            const element = event.currentTarget;
            atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
          }}
        >
          {transcript.entries.map((entry) => (
            <TranscriptLine key={entry.seq} entry={entry} />
          ))}
        </ol>
      )}
      {transcript.error && (
        <p class="dag-tip" role="status">
          Could not refresh the transcript: {transcript.error.message} Retrying.
        </p>
      )}
    </section>
  );
}

function TranscriptLine({ entry }: { entry: TranscriptEntry }) {
  const tone = entry.isError || entry.kind === 'refusal' ? 'danger' : entry.kind === 'tool_call' ? 'running' : entry.kind === 'stop' ? 'success' : entry.kind === 'prompt' ? 'queued' : 'neutral';
  return (
    <li class={`tone-${tone}`} data-kind={entry.kind} data-seq={entry.seq}>
      <time dateTime={entry.at} title={formatDateTime(entry.at)}>
        {formatClock(entry.at)}
      </time>
      <span class="transcript-meta">
        <span class="chip">{entry.role}</span>
        <span class="transcript-kind">{kindText[entry.kind] ?? entry.kind}</span>
        {entry.tool && <code class="transcript-tool">{entry.tool}</code>}
      </span>
      <details class="transcript-body">
        <summary>{previewOf(entry) || <span class="muted">(empty)</span>}</summary>
        <pre>{entry.body}</pre>
      </details>
    </li>
  );
}
