// In-process event bus carrying the contract's events to whichever transports listen.
import { EventEmitter } from 'node:events';
import type { EventName, Events } from '../../shared/contract';

export class EventBus {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  emit<E extends EventName>(name: E, payload: Events[E]): void {
    this.emitter.emit(name, payload);
  }
  on<E extends EventName>(name: E, fn: (payload: Events[E]) => void): () => void {
    this.emitter.on(name, fn);
    return () => this.emitter.off(name, fn);
  }
}
