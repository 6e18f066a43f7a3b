// PM2 process file for mcp-registry-server: `pm2 start deploy/ecosystem.config.cjs` from the checkout
// (or set script to the installed `mcp-registry-server` bin). One instance: the gateway keeps its sessions
// and children in memory until it runs as a cluster on Redis. Settings come from
// deploy/mcp-registry-server.env (MCP_REGISTRY_ENV_FILE overrides the path), then PM2's env below.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** KEY=value lines of an env file (comments and blank lines skipped); {} when there is none. */
function envFile(file) {
  if (!fs.existsSync(file)) return {};
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].trim();
  }
  return env;
}

module.exports = {
  apps: [
    {
      name: 'mcp-registry-server',
      cwd: root,
      script: path.join(root, 'dist/main.js'),
      exec_mode: 'fork',
      instances: 1,
      // Crash protection: restart, with a growing delay, but give up on a gateway that cannot stay up.
      autorestart: true,
      min_uptime: '10s',
      max_restarts: 10,
      exp_backoff_restart_delay: 200,
      // The gateway's own memory (children have their own caps): restart it if it ever grows past this.
      max_memory_restart: '1G',
      // Graceful stop: SIGTERM, then the gateway stops every child in stages (at most 30 s) and exits.
      kill_timeout: 35000,
      // Log files (the gateway also writes combined.log and error.log under LOG_DIR when set).
      out_file: path.join(root, '.data/logs/pm2-out.log'),
      error_file: path.join(root, '.data/logs/pm2-error.log'),
      merge_logs: true,
      time: true,
      env: {
        NODE_ENV: 'production',
        ...envFile(process.env.MCP_REGISTRY_ENV_FILE || path.join(__dirname, 'mcp-registry-server.env')),
      },
    },
  ],
};
