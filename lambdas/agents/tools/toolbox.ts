import type { AgentRole } from '../../ports/model-provider.js';
import type { AgentTool } from './agent-tool.js';
import { editFileTool, listFilesTool, readFileTool, searchTool, writeFileTool } from './file-tools.js';
import { createRunTool, type RunToolOptions } from './run-tool.js';

/**
 * The tools each role gets (besides `finish`, which the loop handles). The
 * reviewer reads only: it has no write tool and no `run`, so it cannot change
 * the tree it judges, and it judges the gate report it is given rather than
 * re-running checks until one passes.
 */
export function toolsForRole(role: Exclude<AgentRole, 'planner'>, run: RunToolOptions): Map<string, AgentTool> {
  const read = [listFilesTool, readFileTool, searchTool];
  const write = [writeFileTool, editFileTool];
  const runner = run.policy.commands.size > 0 ? [createRunTool(run)] : [];
  const tools = role === 'review' ? read : [...read, ...write, ...runner];
  return new Map(tools.map((tool) => [tool.spec.name, tool]));
}
