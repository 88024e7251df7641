import type { FlowId, Network } from "../../network/index.js";
import type { Scenario } from "../../../scenarios/types.js";
import { I32Column, IntQueue } from "../columns.js";
import type { Topology } from "../topology.js";
import type { ProductTable } from "./products.js";

/**
 * The transfer service, as FTS: a transfer moves one product from a source endpoint to a
 * destination; transfers are scheduled per (source, destination) link by a channel. Everything
 * about how a transfer is paced from submission to completion lives here; what a landed or
 * aborted transfer means is up to the component that submitted it (its kind's client).
 */

/** Transfer kinds: which client submitted it. */
export const INGEST = 0;
export const REPLICA = 1;
export const PULL = 2;

/**
 * A submitter's side of its transfers. The destination space it reserved before submitting is
 * its own to give back. The transfer's slot is already free when these are called.
 */
export interface TransferClient {
  transferDone(p: number, src: number, dst: number, job: number): void;
  transferAborted(p: number, src: number, dst: number, job: number): void;
}

export class Transfers {
  completed = 0;
  aborted = 0;
  // Transfer table (struct of arrays), slots reused.
  private readonly trProduct = new I32Column();
  private readonly trSrc = new I32Column();
  private readonly trDst = new I32Column();
  private readonly trKind = new I32Column();
  private readonly trJob = new I32Column();
  private readonly trFree: number[] = [];
  private readonly channels = new Map<number, Channel>();
  private readonly clients: TransferClient[] = [];

  constructor(
    private readonly net: Network,
    private readonly topo: Topology,
    private readonly policy: Scenario["policies"]["transfers"],
    private readonly products: ProductTable,
  ) {}

  /** Registers the client told about transfers of a kind. */
  serve(kind: number, client: TransferClient): void {
    this.clients[kind] = client;
  }

  /** Queues a transfer of p from src to dst (endpoints: sites, then telescopes); job is the client's own tag. */
  submit(kind: number, p: number, src: number, dst: number, job: number): void {
    let t: number;
    if (this.trFree.length > 0) {
      t = this.trFree.pop()!;
      this.trProduct.data[t] = p;
      this.trSrc.data[t] = src;
      this.trDst.data[t] = dst;
      this.trKind.data[t] = kind;
      this.trJob.data[t] = job;
    } else {
      t = this.trProduct.push(p);
      this.trSrc.push(src);
      this.trDst.push(dst);
      this.trKind.push(kind);
      this.trJob.push(job);
    }
    this.channel(src, dst).submit(t);
  }

  /** Transfers queued or moving, over all channels. */
  inFlight(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.active + c.queued;
    return n;
  }

  /** Stops every transfer to or from a failed site, telling each one's client. */
  abortAt(site: number): void {
    for (const [key, c] of this.channels) {
      const src = Math.floor(key / 64);
      const dst = key % 64;
      if (src !== site && dst !== site) continue;
      for (const t of c.abortAll()) {
        const p = this.trProduct.data[t]!;
        const kind = this.trKind.data[t]!;
        const job = this.trJob.data[t]!;
        this.trFree.push(t);
        this.aborted++;
        this.clients[kind]!.transferAborted(p, src, dst, job);
      }
    }
  }

  private done(t: number): void {
    const p = this.trProduct.data[t]!;
    const src = this.trSrc.data[t]!;
    const dst = this.trDst.data[t]!;
    const kind = this.trKind.data[t]!;
    const job = this.trJob.data[t]!;
    this.trFree.push(t);
    this.completed++;
    this.clients[kind]!.transferDone(p, src, dst, job);
  }

  private channel(src: number, dst: number): Channel {
    const key = src * 64 + dst;
    let c = this.channels.get(key);
    if (c === undefined) {
      const tr = this.policy;
      const size = this.products.size;
      c = new Channel(
        this.net,
        this.topo.route(src, dst)!,
        tr.maxActivePerPair,
        tr.streamsPerTransfer,
        tr.windowBytes,
        (t) => size.data[this.trProduct.data[t]!]!,
        (t) => this.done(t),
      );
      this.channels.set(key, c);
    }
    return c;
  }
}

/**
 * FTS-like transfer scheduling on one link (source, destination): at most `maxActive` transfers
 * move at once (as FTS's per-link active limit), each over `streams` TCP streams whose windows
 * cap them; the rest wait in FIFO order. Active transfers are members of one network transfer group.
 */
export class Channel {
  private readonly group: FlowId;
  private readonly queue = new IntQueue();
  active = 0;

  constructor(
    private readonly net: Network,
    route: readonly number[],
    private readonly maxActive: number,
    streams: number,
    windowBytes: number,
    private readonly bytesOf: (transfer: number) => number,
    private readonly onDone: (transfer: number) => void,
  ) {
    this.group = net.openGroup({
      route,
      streams,
      windowBytes,
      onComplete: (t) => {
        this.active--;
        this.startQueued();
        this.onDone(t);
      },
    });
  }

  /** Transfers waiting for a slot. */
  get queued(): number {
    return this.queue.size;
  }

  submit(transfer: number): void {
    this.queue.push(transfer);
    this.startQueued();
  }

  /** Stops every transfer, active or queued (an end of the channel failed); returns them. */
  abortAll(): number[] {
    const aborted = this.net.abortGroup(this.group);
    this.active = 0;
    return aborted.concat(this.queue.drain());
  }

  private startQueued(): void {
    while (this.active < this.maxActive && this.queue.size > 0) {
      const t = this.queue.shift();
      this.active++;
      this.net.addMember(this.group, this.bytesOf(t), t);
    }
  }
}
