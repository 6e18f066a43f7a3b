/**
 * @module `find_tools` (TOOLSET_TOOL_SEARCH): a toolset of hundreds of tools lists only this tool at
 * first; a client asks it for tools by what they do and gets their full definitions, and those tools are
 * listed from then on in its session (the toolset announces `tools/list_changed`). Tools not listed can
 * be called all the same. Matching is by words (pure): a word in a tool's name counts most, then its
 * title, then its description.
 */
import type { Tool } from '@modelcontextprotocol/server';

export const FIND_TOOLS_NAME = 'find_tools';
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 50;

export const FIND_TOOLS: Tool = {
  name: FIND_TOOLS_NAME,
  title: 'Find tools',
  description:
    "Finds this toolset's tools by what they do. Returns the matching tools' full definitions (name, description, input schema); they can be called by name right away, and are listed from now on.",
  inputSchema: {
    type: 'object',
    properties: {
      query: { type: 'string', description: 'Words describing the task, e.g. "read a file" or "weather".' },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_LIMIT,
        description: `At most this many (default ${DEFAULT_LIMIT}).`,
      },
    },
    required: ['query'],
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
};

const wordsOf = (text: unknown): string[] =>
  typeof text === 'string'
    ? text
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter(Boolean)
    : [];

/** The arguments of a find_tools call, or the reason they are invalid. */
export function searchArgs(args: unknown): { query: string[]; limit: number } | { invalid: string } {
  const a = (args ?? {}) as { query?: unknown; limit?: unknown };
  const query = wordsOf(a.query);
  if (query.length === 0) return { invalid: 'find_tools needs a query of at least one word' };
  const limit = a.limit === undefined ? DEFAULT_LIMIT : Number(a.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    return { invalid: `limit must be an integer from 1 to ${MAX_LIMIT}` };
  return { query, limit };
}

/** The tools that match `query` (words), best first, at most `limit`. */
export function findTools(tools: Tool[], query: string[], limit: number): Tool[] {
  const scored = tools.map((tool) => {
    const name = new Set(wordsOf(tool.name));
    const title = new Set(wordsOf(tool.title));
    const description = wordsOf(tool.description).join(' ');
    let score = 0;
    for (const word of query) {
      if (name.has(word)) score += 4;
      else if ([...name].some((n) => n.startsWith(word))) score += 3;
      if (title.has(word)) score += 2;
      if (description.includes(word)) score += 1;
    }
    return { tool, score };
  });
  return scored
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.tool.name.localeCompare(b.tool.name))
    .slice(0, limit)
    .map((s) => s.tool);
}
