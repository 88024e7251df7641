import { DelayLine, type Simulation } from "../../kernel/index.js";
import type { FlowId, Network } from "../../network/index.js";
import type { Scenario } from "../../../scenarios/types.js";
import { F64Column, I32Column, IntQueue } from "../columns.js";
import type { Topology } from "../topology.js";
import { decide, LinkState, successRate, type OptimizerParams } from "./optimizer.js";
import type { ProductTable } from "./products.js";
import { ACTIVE, CANCELED, FAILED, FINISHED, SUBMITTED, TransferLog } from "./transfer-log.js";

/**
 * The transfer service, as FTS: a transfer moves one product from a source endpoint to a
 * destination; transfers are scheduled per (source, destination) link by a channel. Everything
 * about how a transfer is paced from submission to completion lives here; what a landed or
 * aborted transfer means is up to the component that submitted it (its kind's client).
 *
 * A transfer, once it has a slot on its link, pays in order (as gfal2 does, one after the
 * other; harness/transfer/OPTIMIZER.md, "Costs per file"): the setup time, the source checksum
 * (size / source checksum rate; nothing when the source's stored checksum is read), the copy over
 * the network, and the destination checksum (size / destination checksum rate). It holds its slot
 * throughout. A link's limit on active transfers is fixed (`maxActivePerPair`) or set by FTS's
 * optimizer (`optimizer.ts`), which runs every steady interval for each link with activity.
 */

/** Transfer kinds: which client submitted it. */
export const INGEST = 0;
export const REPLICA = 1;
export const PULL = 2;
/** Files of a data challenge (injections.ts). */
export const INJECT = 3;

/**
 * A submitter's side of its transfers. The destination space it reserved before submitting is
 * its own to give back. The transfer's slot is already free when these are called.
 */
export interface TransferClient {
  transferDone(p: number, src: number, dst: number, job: number): void;
  transferAborted(p: number, src: number, dst: number, job: number): void;
}

// A pending cost event names its transfer by slot and generation, so that one outliving its
// transfer (aborted meanwhile, slot reused) is recognised and ignored instead of cancelled.
const SLOT = 2 ** 24;
const GEN_LIMIT = 2 ** 29;

export class Transfers {
  completed = 0;
  aborted = 0;
  /** Optimizer decisions taken, over all links. */
  decisions = 0;
  // Transfer table (struct of arrays), slots reused.
  private readonly trProduct = new I32Column();
  private readonly trSrc = new I32Column();
  private readonly trDst = new I32Column();
  private readonly trKind = new I32Column();
  private readonly trJob = new I32Column();
  private readonly trChannel = new I32Column();
  private readonly trGen = new I32Column();
  /** Position in its channel's list of transfers paying a cost (setup or a checksum). */
  private readonly trPos = new I32Column();
  /** 1 once the copy has begun: the next cost is the destination checksum. */
  private readonly trCopied = new I32Column();
  /** 1 while the slot holds a transfer. */
  private readonly trLive = new I32Column();
  // For the transfer log only (filled when it is on): number, submission and start times, the link's limit at start.
  private readonly trSerial = new I32Column();
  private readonly trSubmit = new F64Column();
  private readonly trStart = new F64Column();
  private readonly trActives = new I32Column();
  private serial = 0;
  /** One row per transfer, when the run writes transfers.arrow (output.transferEvents); null otherwise. */
  readonly log: TransferLog | null;
  private readonly trFree: number[] = [];
  private readonly channels = new Map<number, Channel>();
  private readonly channelList: Channel[] = [];
  private readonly clients: TransferClient[] = [];

  private readonly setupSeconds: number;
  /** Bytes per second; Infinity: no cost. */
  private readonly sourceChecksumRate: number;
  private readonly destinationChecksumRate: number;
  /** Setup alone (source checksum read from a stored value): a fixed delay, so a FIFO. */
  private readonly setupLine: DelayLine<number> | null;

  private readonly optimizer: (OptimizerParams & { steadyIntervalSeconds: number }) | null;
  /** Links the optimizer runs for next time: those with activity since they were last dropped. */
  private readonly running: Channel[] = [];
  private armed = false;

  private readonly onCostPaid = (code: number): void => {
    const t = code % SLOT;
    if (this.trGen.data[t] !== Math.floor(code / SLOT)) return; // aborted meanwhile
    const c = this.channelList[this.trChannel.data[t]!]!;
    this.unstage(c, t);
    if (this.trCopied.data[t] === 1) {
      this.finish(c, t);
    } else {
      this.trCopied.data[t] = 1;
      this.net.addMember(c.group, this.bytesOf(t), t);
    }
  };

  private readonly onOptimizerRun = (): void => {
    this.armed = false;
    const p = this.optimizer!;
    const interval = p.steadyIntervalSeconds;
    const list = this.running;
    let n = list.length;
    for (let i = 0; i < n; ) {
      const c = list[i]!;
      if (c.active === 0 && c.queue.size === 0 && c.finished + c.failed === 0) {
        // No activity: left alone (its memory kept) until it has some again.
        c.listed = false;
        list[i] = list[--n]!;
        continue;
      }
      const moved = this.net.groupBytesMoved(c.group);
      const counted = c.finished + c.active;
      c.decision = decide(
        p,
        c.state,
        successRate(c.finished, c.failed),
        (moved - c.movedMark) / interval,
        counted > 0 ? (c.finishedBytes + c.activeBytes) / counted : 0,
        c.queue.size,
        0,
      );
      c.movedMark = moved;
      c.finished = 0;
      c.failed = 0;
      c.finishedBytes = 0;
      c.limit = c.state.active;
      this.decisions++;
      this.startQueued(c);
      i++;
    }
    list.length = n;
    if (n > 0) this.arm();
  };

  constructor(
    private readonly sim: Simulation,
    private readonly net: Network,
    private readonly topo: Topology,
    private readonly policy: Scenario["policies"]["transfers"],
    private readonly products: ProductTable,
    logTransfers = false,
  ) {
    this.log = logTransfers ? new TransferLog() : null;
    this.setupSeconds = policy.setupSeconds;
    this.sourceChecksumRate = policy.checksumSourceBytesPerSecond ?? Infinity;
    this.destinationChecksumRate = policy.checksumDestinationBytesPerSecond ?? Infinity;
    this.setupLine = this.sourceChecksumRate === Infinity && this.setupSeconds > 0 ? new DelayLine(sim, this.setupSeconds, this.onCostPaid) : null;
    this.optimizer = policy.optimizer.enabled ? policy.optimizer : null;
  }

  /** Registers the client told about transfers of a kind. */
  serve(kind: number, client: TransferClient): void {
    this.clients[kind] = client;
  }

  /** Queues a transfer of p from src to dst (endpoints: sites, then telescopes); job is the client's own tag. */
  submit(kind: number, p: number, src: number, dst: number, job: number): void {
    const c = this.channel(src, dst);
    let t: number;
    if (this.trFree.length > 0) {
      t = this.trFree.pop()!;
      this.trProduct.data[t] = p;
      this.trSrc.data[t] = src;
      this.trDst.data[t] = dst;
      this.trKind.data[t] = kind;
      this.trJob.data[t] = job;
      this.trChannel.data[t] = c.index;
    } else {
      t = this.trProduct.push(p);
      this.trSrc.push(src);
      this.trDst.push(dst);
      this.trKind.push(kind);
      this.trJob.push(job);
      this.trChannel.push(c.index);
      this.trGen.push(0);
      this.trPos.push(-1);
      this.trCopied.push(0);
      this.trLive.push(0);
      this.trSerial.push(0);
      this.trSubmit.push(NaN);
      this.trStart.push(NaN);
      this.trActives.push(0);
    }
    this.trLive.data[t] = 1;
    if (this.log !== null) {
      this.trSerial.data[t] = this.serial++;
      this.trSubmit.data[t] = this.sim.now;
      this.trStart.data[t] = NaN;
      this.trActives.data[t] = 0;
    }
    c.queue.push(t);
    if (this.optimizer !== null && !c.listed) this.watch(c);
    this.startQueued(c);
  }

  /** Transfers queued or holding a slot (paying a cost or moving bytes), over all channels. */
  inFlight(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.active + c.queue.size;
    return n;
  }

  /** The limit on active transfers from src to dst now (NaN before the link's first transfer). */
  activeLimit(src: number, dst: number): number {
    return this.channels.get(src * 64 + dst)?.limit ?? NaN;
  }

  /** The code of the optimizer's last decision for src to dst (optimizer.ts: reasonOf, adjustmentsOf); -1 before the first. */
  lastDecision(src: number, dst: number): number {
    return this.channels.get(src * 64 + dst)?.decision ?? -1;
  }

  /** The optimizer's memory of the link from src to dst (undefined before its first transfer). */
  optimizerState(src: number, dst: number): Readonly<LinkState> | undefined {
    return this.channels.get(src * 64 + dst)?.state;
  }

  /** Transfers from src to dst holding a slot now. */
  activeOn(src: number, dst: number): number {
    return this.channels.get(src * 64 + dst)?.active ?? 0;
  }

  /**
   * Stops every transfer to or from a failed site, telling each one's client. Those that held a
   * slot count as failed for their link's optimizer; queued ones were never tried.
   */
  abortAt(site: number): void {
    for (const [key, c] of this.channels) {
      const src = Math.floor(key / 64);
      const dst = key % 64;
      if (src !== site && dst !== site) continue;
      const stopped = this.net.abortGroup(c.group);
      for (let i = 0; i < c.staged.length; i++) stopped.push(c.staged[i]!);
      c.failed += stopped.length;
      const started = stopped.length;
      c.staged.length = 0;
      c.active = 0;
      c.activeBytes = 0;
      const all = stopped.concat(c.queue.drain());
      for (let i = 0; i < all.length; i++) {
        const t = all[i]!;
        const p = this.trProduct.data[t]!;
        const kind = this.trKind.data[t]!;
        const job = this.trJob.data[t]!;
        if (this.log !== null) this.logRow(t, this.sim.now, i < started ? FAILED : CANCELED);
        this.free(t);
        this.aborted++;
        this.clients[kind]!.transferAborted(p, src, dst, job);
      }
    }
  }

  private bytesOf(t: number): number {
    return this.products.size.data[this.trProduct.data[t]!]!;
  }

  private code(t: number): number {
    return this.trGen.data[t]! * SLOT + t;
  }

  /** Logs every transfer still queued or holding a slot (at the end of a run). */
  logUnfinished(): void {
    if (this.log === null) return;
    for (let t = 0; t < this.trLive.length; t++) {
      if (this.trLive.data[t] === 1) this.logRow(t, NaN, Number.isNaN(this.trStart.data[t]!) ? SUBMITTED : ACTIVE);
    }
  }

  /** Bytes moved so far by the transfers from src to dst (0 before the link's first transfer). */
  bytesMovedOn(src: number, dst: number): number {
    const c = this.channels.get(src * 64 + dst);
    return c === undefined ? 0 : this.net.groupBytesMoved(c.group);
  }

  private logRow(t: number, end: number, state: number): void {
    this.log!.push(
      this.trSerial.data[t]!,
      this.trKind.data[t]!,
      this.trProduct.data[t]!,
      this.trSrc.data[t]!,
      this.trDst.data[t]!,
      this.bytesOf(t),
      this.trSubmit.data[t]!,
      this.trStart.data[t]!,
      end,
      state,
      this.trActives.data[t]!,
    );
  }

  private free(t: number): void {
    this.trLive.data[t] = 0;
    this.trGen.data[t] = (this.trGen.data[t]! + 1) % GEN_LIMIT;
    this.trFree.push(t);
  }

  /** Starts queued transfers, in order, while the link is under its limit. */
  private startQueued(c: Channel): void {
    while (c.active < c.limit && c.queue.size > 0) {
      const t = c.queue.shift();
      const bytes = this.bytesOf(t);
      c.active++;
      c.activeBytes += bytes;
      this.trCopied.data[t] = 0;
      if (this.log !== null) {
        this.trStart.data[t] = this.sim.now;
        this.trActives.data[t] = c.limit;
      }
      // Setup, then the source checksum.
      if (this.setupLine !== null) {
        this.stage(c, t);
        this.setupLine.push(this.code(t));
        continue;
      }
      const before = this.setupSeconds + bytes / this.sourceChecksumRate;
      if (before > 0) {
        this.stage(c, t);
        this.sim.schedule(before, this.onCostPaid, this.code(t));
      } else {
        this.trCopied.data[t] = 1;
        this.net.addMember(c.group, bytes, t);
      }
    }
  }

  /** The copy of t is over: the destination checksum, then done. */
  private copied(c: Channel, t: number): void {
    const after = this.bytesOf(t) / this.destinationChecksumRate;
    if (after > 0) {
      this.stage(c, t);
      this.sim.schedule(after, this.onCostPaid, this.code(t));
    } else {
      this.finish(c, t);
    }
  }

  private finish(c: Channel, t: number): void {
    const bytes = this.bytesOf(t);
    c.active--;
    c.activeBytes = c.active === 0 ? 0 : c.activeBytes - bytes;
    c.finished++;
    c.finishedBytes += bytes;
    this.startQueued(c);
    const p = this.trProduct.data[t]!;
    const src = this.trSrc.data[t]!;
    const dst = this.trDst.data[t]!;
    const kind = this.trKind.data[t]!;
    const job = this.trJob.data[t]!;
    if (this.log !== null) this.logRow(t, this.sim.now, FINISHED);
    this.free(t);
    this.completed++;
    this.clients[kind]!.transferDone(p, src, dst, job);
  }

  private stage(c: Channel, t: number): void {
    this.trPos.data[t] = c.staged.length;
    c.staged.push(t);
  }

  private unstage(c: Channel, t: number): void {
    const at = this.trPos.data[t]!;
    const last = c.staged.pop()!;
    if (last !== t) {
      c.staged[at] = last;
      this.trPos.data[last] = at;
    }
  }

  /** The optimizer looks at c from its next run on. */
  private watch(c: Channel): void {
    c.listed = true;
    c.movedMark = this.net.groupBytesMoved(c.group);
    this.running.push(c);
    this.arm();
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    this.sim.schedule(this.optimizer!.steadyIntervalSeconds, this.onOptimizerRun);
  }

  private channel(src: number, dst: number): Channel {
    const key = src * 64 + dst;
    let c = this.channels.get(key);
    if (c === undefined) {
      const tr = this.policy;
      const index = this.channelList.length;
      const limit = this.optimizer !== null ? this.optimizer.minActive : tr.maxActivePerPair;
      const made: Channel = new Channel(index, limit, (t) => this.copied(made, t));
      made.group = this.net.openGroup({
        route: this.topo.route(src, dst)!,
        streams: tr.streamsPerTransfer,
        windowBytes: tr.windowBytes,
        onComplete: made.onCopied,
      });
      c = made;
      this.channels.set(key, c);
      this.channelList.push(c);
    }
    return c;
  }
}

/**
 * FTS-like transfer scheduling on one link (source, destination): at most `limit` transfers
 * hold a slot at once (FTS's per-link active limit: fixed, or the optimizer's decision), each
 * copying over `streams` TCP streams whose windows cap them, as a member of the link's network
 * transfer group; the rest wait in FIFO order. The transfer logic is `Transfers`'; this is the
 * link's state.
 */
export class Channel {
  group: FlowId = -1;
  readonly queue = new IntQueue();
  /** Transfers holding a slot: paying a cost or copying. */
  active = 0;
  /** Transfers paying a cost now (setup, a checksum). */
  readonly staged: number[] = [];
  // The optimizer: the link's memory, whether it is watched, and the interval's measurements.
  readonly state = new LinkState();
  decision = -1;
  listed = false;
  movedMark = 0;
  finished = 0;
  failed = 0;
  finishedBytes = 0;
  activeBytes = 0;

  constructor(
    readonly index: number,
    public limit: number,
    readonly onCopied: (transfer: number) => void,
  ) {}
}
