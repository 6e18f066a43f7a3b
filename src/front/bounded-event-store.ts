/**
 * @module A per-session, bounded event store for resumable SSE streams (spec 2025-11-25
 * basic/transports "Resumability and Redelivery"): keeps the last `maxEvents` messages so a client
 * that reconnects with Last-Event-ID gets what it missed on that stream, and memory stays bounded.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';

interface StoredEvent {
  id: string;
  streamId: string;
  message: JSONRPCMessage;
}

export class BoundedEventStore {
  private readonly events: StoredEvent[] = [];
  private seq = 0;

  constructor(private readonly maxEvents = 1000) {}

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}_${++this.seq}`;
    this.events.push({ id, streamId, message });
    if (this.events.length > this.maxEvents) this.events.shift();
    return id;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.events.find((e) => e.id === eventId)?.streamId ?? eventId.slice(0, eventId.lastIndexOf('_'));
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const streamId = (await this.getStreamIdForEventId(lastEventId)) ?? '';
    const from = this.events.findIndex((e) => e.id === lastEventId);
    for (const e of this.events.slice(from + 1)) if (e.streamId === streamId) await send(e.id, e.message);
    return streamId;
  }
}
