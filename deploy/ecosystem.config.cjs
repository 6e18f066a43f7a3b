// PM2 process file for mcp-registry-server: a cluster of two workers on one port (PM2 cluster mode).
//
//   PORT=8080 REDIS_URL=redis://127.0.0.1:6379 pm2 start deploy/ecosystem.config.cjs
//
// Workers share sessions, limits and views through Redis (REDIS_URL): a request may reach either
// worker. Without REDIS_URL the workers would not know each other's sessions, so this file then runs a
// single worker. Settings come from the environment `pm2 start` runs in (any gateway setting: PORT,
// HOST, REDIS_URL, …), so one file serves every host, over an env file when MCP_REGISTRY_ENV_FILE names
// one (e.g. /etc/mcp-registry-server/env, made from deploy/mcp-registry-server.env). INSTANCES sets the
// number of workers (default 2).
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

/** The gateway's settings, read off its settings table (dist/config/settings.js), plus npm's aliases. */
function settingNames() {
  const table = path.join(root, 'dist/config/settings.js');
  const text = fs.existsSync(table) ? fs.readFileSync(table, 'utf8') : '';
  const names = [...text.matchAll(/'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]);
  return new Set([...names, 'PORT', 'HOST', 'REDIS_URL', 'NODE_EXTRA_CA_CERTS']);
}

/** What the starting shell sets of the gateway's settings (it wins over the env file). */
function fromShell() {
  const names = settingNames();
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => names.has(k)));
}

const env = {
  NODE_ENV: 'production',
  ...(process.env.MCP_REGISTRY_ENV_FILE ? envFile(process.env.MCP_REGISTRY_ENV_FILE) : {}),
  ...fromShell(),
};
const workers = env.REDIS_URL ? Number(process.env.INSTANCES || 2) : 1;

module.exports = {
  apps: [
    {
      name: 'mcp-registry-server',
      cwd: root,
      script: path.join(root, 'dist/main.js'),
      exec_mode: 'cluster',
      instances: workers,
      // Crash protection: restart after a pause, with a growing delay, but give up on a gateway that
      // cannot stay up. A killed worker's children die with it; its sessions get 404 and re-initialize.
      autorestart: true,
      min_uptime: '10s',
      max_restarts: 10,
      restart_delay: 1000,
      exp_backoff_restart_delay: 200,
      // A worker's own memory (children have their own caps): restart it if it ever grows past this.
      max_memory_restart: '512M',
      // Graceful stop and `pm2 reload`: SIGINT, the worker stops taking connections, lets requests in
      // flight finish (DRAIN_TIMEOUT_MS, 10 s), ends its sessions and stops its children (at most 30 s).
      kill_timeout: 45000,
      // Signal the worker only: PM2's default tree kill would send SIGINT to every MCP server at once,
      // killing calls in flight; the worker stops its children itself, in stages, after draining.
      treekill: false,
      // Log files (the gateway also writes combined.log and error.log under LOG_DIR).
      out_file: path.join(root, '.data/logs/pm2-out.log'),
      error_file: path.join(root, '.data/logs/pm2-error.log'),
      merge_logs: true,
      time: true,
      env,
    },
  ],
};
