// Counters kept by the engine itself (one process): `evaluate` decides and charges in one step.
//
// A store answers `decide(call)` with `{decision, ticket}`; `ticket` is non-null when the call
// charged quota. `release(ticket)` gives that quota back — once, however often it is called — and
// `settle(ticket)` says the call ended without an upstream error (nothing to give back).

export class MemoryStore {
  constructor(holder) {
    this.holder = holder;
    this.kind = 'memory';
  }

  decide(call) {
    const decision = this.holder.engine.evaluate(call);
    const ticket = decision.outcome === 'allow' && decision.counters.length > 0 ? { decision, done: false } : null;
    return { decision, ticket };
  }

  release(ticket) {
    if (ticket === null || ticket.done) return false;
    ticket.done = true;
    return this.holder.engine.release(ticket.decision) > 0;
  }

  settle(ticket) {
    if (ticket !== null) ticket.done = true;
  }

  async close() {}
}
