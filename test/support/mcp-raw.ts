/** Raw Streamable HTTP pieces for tests that speak MCP without an SDK client. */

/** A 2025-06-18 initialize request body. */
export const INIT_2025 = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** Headers every Streamable HTTP POST carries. */
export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};
