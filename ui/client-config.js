// The client configurations the gateway hands out, shown in the #client-config section: Cursor, VS
// Code, Claude Desktop (through mcp-remote) and Claude Code, secrets and the API key as placeholders.
const $ = (id) => document.getElementById(id);

export function showClientConfig(label, clients) {
  $('config-for').textContent = label;
  $('config-cursor').textContent = JSON.stringify(clients.cursor, null, 2);
  $('config-vscode').textContent = JSON.stringify(clients.vscode, null, 2);
  $('config-claude-desktop').textContent = JSON.stringify(clients.claudeDesktop, null, 2);
  $('config-claude-code').textContent = clients.claudeCode;
  $('client-config').hidden = false;
}
