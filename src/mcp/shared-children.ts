/**
 * @module The shared children: one gateway-initialized process per configuration serves every stateless
 * (2026-07-28) client and every client that asks for shared mode, through a SharedMultiplexer.
 */
import type { ProcessMeta } from '../runtime/package-launcher.js';
import type { LaunchRequest, ProcessManager } from '../runtime/process-manager.js';
import { SharedMultiplexer } from './shared-multiplexer.js';

export class SharedChildren {
  private readonly muxes = new Map<string, SharedMultiplexer>();

  constructor(
    private readonly processes: ProcessManager<ProcessMeta>,
    private readonly requestTimeoutMs: number,
  ) {}

  /** The multiplexer over the shared process of this configuration (started when needed). */
  async forConfiguration(req: LaunchRequest<ProcessMeta>): Promise<SharedMultiplexer> {
    const { process } = await this.processes.acquire(req);
    this.processes.markShared(process.id);
    for (const id of this.muxes.keys()) if (!this.processes.get(id)) this.muxes.delete(id);
    let mux = this.muxes.get(process.id);
    if (!mux) {
      mux = new SharedMultiplexer(process, this.requestTimeoutMs);
      this.muxes.set(process.id, mux);
    }
    return mux;
  }
}
