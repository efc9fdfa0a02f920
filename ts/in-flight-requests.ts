// The requests of one session that started and are not over yet, for closeAllConnections().
//
// An intrusive list: each request's node links itself in when the request starts and out when
// it ends. Nothing is hashed, so there is no per-request table churn (ts/hop-registry.ts says
// what a Map's churn cost), and an unlinked node keeps nothing alive.
import type { HopControl } from './stages/stage';

export class InFlightNode {
  /** @internal */ _prev: InFlightNode | null = null;
  /** @internal */ _next: InFlightNode | null = null;
  /** @internal */ _listed = false;
  constructor(readonly control: HopControl) {}
}

export class InFlightRequests {
  private _head: InFlightNode | null = null;
  private _size = 0;

  get size(): number {
    return this._size;
  }

  add(node: InFlightNode): void {
    if (node._listed) return;
    node._listed = true;
    node._next = this._head;
    if (this._head !== null) this._head._prev = node;
    this._head = node;
    this._size += 1;
  }

  /** Unlinks the node; a node not in the list is left alone. */
  remove(node: InFlightNode): void {
    if (!node._listed) return;
    node._listed = false;
    if (node._prev !== null) node._prev._next = node._next;
    else this._head = node._next;
    if (node._next !== null) node._next._prev = node._prev;
    node._prev = null;
    node._next = null;
    this._size -= 1;
  }

  /** A snapshot: failing a request unlinks it while the caller walks the list. */
  controls(): HopControl[] {
    const out: HopControl[] = [];
    for (let node = this._head; node !== null; node = node._next) out.push(node.control);
    return out;
  }
}
