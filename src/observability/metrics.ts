/**
 * @module Prometheus metrics (prom-client) on a registry of the gateway's own, so several gateways in one
 * process (tests) never collide. Labels never carry secrets or unbounded values (no query, no ids).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route'>;
  launches: Counter<'registry' | 'outcome'>;
  processesActive: Gauge;
}

/** What cluster mode adds to the metrics, read at scrape time. */
export interface ClusterCounters {
  /** Requests forwarded to other instances, and taken from them, so far. */
  forwarded: () => { out: number; in: number };
  /** 1 while the shared state (Redis) answers. */
  redisUp: () => number;
}

/** Creates the metrics; `activeProcesses` and `cluster` are read at scrape time. */
export function createMetrics(activeProcesses: () => number, cluster?: ClusterCounters): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mcp_gateway_' });
  if (cluster) registerClusterMetrics(registry, cluster);
  return {
    registry,
    httpRequests: new Counter({
      name: 'mcp_gateway_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'mcp_gateway_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['route'],
      buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60],
      registers: [registry],
    }),
    launches: new Counter({
      name: 'mcp_gateway_launches_total',
      help: 'Package requests by registry and outcome (started, reused or an error code)',
      labelNames: ['registry', 'outcome'],
      registers: [registry],
    }),
    processesActive: new Gauge({
      name: 'mcp_gateway_processes_active',
      help: 'MCP server processes counting against the limit',
      registers: [registry],
      collect() {
        this.set(activeProcesses());
      },
    }),
  };
}

function registerClusterMetrics(registry: Registry, cluster: ClusterCounters): void {
  new Counter({
    name: 'mcp_gateway_cluster_forwarded_requests_total',
    help: 'Requests forwarded to the instance holding their session (out) or taken from others (in)',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      const n = cluster.forwarded();
      this.reset();
      this.inc({ direction: 'out' }, n.out);
      this.inc({ direction: 'in' }, n.in);
    },
  });
  new Gauge({
    name: 'mcp_gateway_cluster_redis_up',
    help: "1 while the cluster's shared state (Redis) answers (summed over the cluster: instances that reach it)",
    registers: [registry],
    collect() {
      this.set(cluster.redisUp());
    },
  });
}
