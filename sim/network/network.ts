import { SimulationError } from "../kernel/errors.js";
import type { Simulation } from "../kernel/simulation.js";

/**
 * How flows crossing a bottleneck share it.
 * - `max-min`: plain max-min fairness, every flow has the same weight.
 * - `latency-weighted`: as SimGrid's CM02 model, a flow's share is divided by its route latency
 *   (TCP's RTT unfairness): weight = 1 / route latency, or 1 for a zero-latency route.
 */
export type SharingMode = "max-min" | "latency-weighted";

export type LinkId = number;
/** Opaque flow reference (slot and generation); stale once the flow completes or is cancelled. */
export type FlowId = number;

export interface LinkSpec {
  name?: string;
  bandwidthBitsPerSecond: number;
  latencySeconds: number;
}

export interface FlowSpec {
  /** Links crossed, in order; each at most once. */
  route: readonly LinkId[];
  bytes: number;
  /** Rate cap of this flow alone (for example an FTS stream limit). */
  maxRateBitsPerSecond?: number;
  /**
   * TCP window: caps the rate at window / (2 x route latency), the same bound as SimGrid's
   * `network/TCP-gamma`. Ignored on a zero-latency route.
   */
  windowBytes?: number;
  /**
   * Parallel TCP streams the flow stands for (integer >= 1, default 1): it takes the share of
   * that many identical flows, exactly as that many separate flows would. `windowBytes` caps
   * each stream; `maxRateBitsPerSecond` caps the flow as a whole.
   */
  streams?: number;
  /** Called, with the flow's id, once its last byte has arrived. */
  onComplete?: (flow: FlowId) => void;
}

/**
 * A transfer group: transfers over one route with the same streams and caps, such as an FTS
 * channel between two sites. Max-min fairness gives identical flows identical rates, so a group
 * of m members is one flow of m x streams streams whose members each move bytes at 1/m of its
 * rate (processor sharing): the same completion times as m separate flows, with a solve whose
 * size grows with the number of groups rather than the number of transfers.
 */
export interface GroupSpec {
  route: readonly LinkId[];
  /** Streams per member transfer (default 1). */
  streams?: number;
  /** Per-stream TCP window, as for a single flow. */
  windowBytes?: number;
  /** Cap on each member transfer. */
  maxRatePerMemberBitsPerSecond?: number;
  /** Called with a member's tag once its last byte has arrived. */
  onComplete: (tag: number) => void;
}

export class NetworkError extends SimulationError {
  override readonly name: string = "NetworkError";
}

const SLOT_BITS = 2 ** 24;
const GEN_LIMIT = 2 ** 29;

const FREE = 0;
const LATENCY = 1; // paying the route latency: takes no bandwidth yet
const ACTIVE = 2;
const IDLE = 3; // an open group with no member moving bytes

/** Members of a transfer group: a binary min-heap of finish thresholds in the group's service. */
class GroupState {
  /** Bytes each member has moved since the group opened, as of the slot's last update. */
  service = 0;
  /** Bytes all members together have moved since the group opened, as of the slot's last update. */
  moved = 0;
  ratePerMember = 0; // bytes/s
  thresholds: number[] = [];
  tags: number[] = [];
  joining = new Set<JoinRecord>();
  membersChanged = false;
  constructor(
    readonly streamsPerMember: number,
    readonly onComplete: (tag: number) => void,
  ) {}

  get members(): number {
    return this.thresholds.length;
  }

  push(threshold: number, tag: number): void {
    const th = this.thresholds;
    const tg = this.tags;
    let i = th.length;
    th.push(threshold);
    tg.push(tag);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (th[p]! <= threshold) break;
      th[i] = th[p]!;
      tg[i] = tg[p]!;
      i = p;
    }
    th[i] = threshold;
    tg[i] = tag;
  }

  /** Removes the member with the smallest threshold and returns its tag. */
  pop(): number {
    const th = this.thresholds;
    const tg = this.tags;
    const top = tg[0]!;
    const lastT = th.pop()!;
    const lastG = tg.pop()!;
    const n = th.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && th[c + 1]! < th[c]!) c++;
        if (th[c]! >= lastT) break;
        th[i] = th[c]!;
        tg[i] = tg[c]!;
        i = c;
      }
      th[i] = lastT;
      tg[i] = lastG;
    }
    return top;
  }
}

interface JoinRecord {
  slot: number;
  bytes: number;
  tag: number;
  handle: number;
}

/**
 * A flow-level network: links with bandwidth and latency, flows over routes of links. A flow
 * first waits its route latency, then moves bytes at a rate given by (weighted) max-min fair
 * sharing of every link it crosses, bounded by its own cap.
 *
 * Rates are recomputed incrementally: a change (flow starts or ends, link bandwidth changes)
 * marks links dirty, and at the end of the current instant one solve covers only the flows
 * connected to a dirty link through shared links; the rest of the network is not touched.
 * All changes of one instant share one solve.
 */
export class Network {
  readonly sharing: SharingMode;

  // Links
  private linkCount = 0;
  private linkNames: string[] = [];
  private linkBandwidth: number[] = []; // bytes/s
  private linkLatency: number[] = [];
  private linkFlows: number[][] = []; // active flow slots
  private linkMark: number[] = [];
  private linkDirty: boolean[] = [];
  private linkUsed: number[] = []; // bytes/s in use since linkUpdated
  private linkCarried: number[] = []; // bytes carried up to linkUpdated
  private linkUpdated: number[] = [];
  // Solver scratch per link
  private linkRemaining: number[] = [];
  private linkUsage: number[] = [];
  private linkUnfixed: number[] = [];
  private linkNewUsed: number[] = [];

  // Flows, struct of arrays over reusable slots
  private flowCapacity = 0;
  private flowState = new Uint8Array(0);
  private flowGen = new Uint32Array(0);
  private flowRemaining = new Float64Array(0); // bytes, as of flowUpdated
  private flowRate = new Float64Array(0); // bytes/s
  private flowUpdated = new Float64Array(0);
  private flowWeight = new Float64Array(0); // sharing penalty: share is divided by it
  private flowBound = new Float64Array(0); // per stream, bytes/s, Infinity when uncapped
  private flowStreams = new Float64Array(0); // streams the flow stands for (for a group: members x streams)
  private flowEvent = new Float64Array(0); // pending event handle or -1
  private flowMark = new Uint32Array(0);
  private flowFixed = new Uint32Array(0);
  private newRate = new Float64Array(0); // solver output, applied after the solve
  private flowRoute: Int32Array[] = [];
  private flowLinkPos: Int32Array[] = [];
  private flowDone: (((flow: FlowId) => void) | undefined)[] = [];
  private groups: (GroupState | undefined)[] = [];
  private freeSlots: number[] = [];

  private dirtyLinks: number[] = [];
  private solvePending = false;
  private epoch = 0;
  private active = 0;
  private compLinks: number[] = [];
  private compFlows: number[] = [];
  private _solves = 0;
  private _lastSolveFlows = 0;
  private _solvedFlows = 0;

  private readonly onEndOfInstant = (): void => {
    if (!this.solvePending) return; // flushed meanwhile
    this.solvePending = false;
    this.solve();
  };
  private readonly onActivate = (slot: number): void => {
    this.flowEvent[slot] = -1;
    this.activate(slot);
  };
  private readonly onFinish = (slot: number): void => {
    this.flowEvent[slot] = -1;
    this.finish(slot);
  };
  private readonly onJoin = (j: JoinRecord): void => {
    this.groups[j.slot]!.joining.delete(j);
    this.join(j.slot, j.bytes, j.tag);
  };
  private readonly onGroupFinish = (slot: number): void => {
    this.flowEvent[slot] = -1;
    this.groupFinish(slot);
  };

  constructor(
    private readonly sim: Simulation,
    options: { sharing?: SharingMode } = {},
  ) {
    this.sharing = options.sharing ?? "max-min";
    if (this.sharing !== "max-min" && this.sharing !== "latency-weighted") {
      throw new NetworkError(`sharing must be "max-min" or "latency-weighted", got ${String(this.sharing)}`, "sharing");
    }
    this.growFlows(64);
  }

  // ---------------------------------------------------------------- links

  addLink(spec: LinkSpec): LinkId {
    const id = this.linkCount++;
    const name = spec.name ?? `link${id}`;
    requireFinite(spec.bandwidthBitsPerSecond, `link ${name}: bandwidthBitsPerSecond`);
    requireFinite(spec.latencySeconds, `link ${name}: latencySeconds`);
    this.linkNames.push(name);
    this.linkBandwidth.push(spec.bandwidthBitsPerSecond / 8);
    this.linkLatency.push(spec.latencySeconds);
    this.linkFlows.push([]);
    this.linkMark.push(0);
    this.linkDirty.push(false);
    this.linkUsed.push(0);
    this.linkCarried.push(0);
    this.linkUpdated.push(this.sim.now);
    this.linkRemaining.push(0);
    this.linkUsage.push(0);
    this.linkUnfixed.push(0);
    this.linkNewUsed.push(0);
    return id;
  }

  get links(): number {
    return this.linkCount;
  }

  linkName(link: LinkId): string {
    this.requireLink(link, "link");
    return this.linkNames[link]!;
  }

  linkLatencySeconds(link: LinkId): number {
    this.requireLink(link, "link");
    return this.linkLatency[link]!;
  }

  linkBandwidthBitsPerSecond(link: LinkId): number {
    this.requireLink(link, "link");
    return this.linkBandwidth[link]! * 8;
  }

  /**
   * Changes a link's bandwidth now: degrade, cut (0: its flows stall, keeping their bytes) or
   * restore. Flows on it are re-shared at the end of the instant.
   */
  setLinkBandwidth(link: LinkId, bitsPerSecond: number): void {
    this.requireLink(link, "link");
    requireFinite(bitsPerSecond, `link ${this.linkNames[link]}: bitsPerSecond`);
    this.linkBandwidth[link] = bitsPerSecond / 8;
    this.markDirty(link);
  }

  /** Bandwidth in use on a link now, bit/s. */
  linkThroughputBitsPerSecond(link: LinkId): number {
    this.requireLink(link, "link");
    this.flush();
    return this.linkUsed[link]! * 8;
  }

  /** Bytes the link has carried since it was added (integral of its throughput). */
  linkBytesCarried(link: LinkId): number {
    this.requireLink(link, "link");
    this.flush();
    return this.linkCarried[link]! + this.linkUsed[link]! * (this.sim.now - this.linkUpdated[link]!);
  }

  /** Flows currently moving bytes over a link (not those still in their latency phase). */
  linkFlowCount(link: LinkId): number {
    this.requireLink(link, "link");
    return this.linkFlows[link]!.length;
  }

  // ---------------------------------------------------------------- flows

  startFlow(spec: FlowSpec): FlowId {
    requireFinite(spec.bytes, "bytes");
    const streams = requireStreams(spec.streams);
    const latency = this.routeLatency(spec.route);
    let bound = this.streamBound(latency, spec.windowBytes, "windowBytes");
    if (spec.maxRateBitsPerSecond !== undefined) {
      requirePositive(spec.maxRateBitsPerSecond, "maxRateBitsPerSecond");
      bound = Math.min(bound, spec.maxRateBitsPerSecond / 8 / streams);
    }
    const slot = this.takeSlot(spec.route, latency, bound, streams);
    this.flowState[slot] = LATENCY;
    this.flowRemaining[slot] = spec.bytes;
    this.flowDone[slot] = spec.onComplete;
    this.flowEvent[slot] = latency > 0 ? this.sim.schedule(latency, this.onActivate, slot) : -1;
    const id = this.flowGen[slot]! * SLOT_BITS + slot;
    if (latency === 0) this.activate(slot);
    return id;
  }

  // ---------------------------------------------------------------- transfer groups

  openGroup(spec: GroupSpec): FlowId {
    const streams = requireStreams(spec.streams);
    if (typeof spec.onComplete !== "function") throw new NetworkError("onComplete must be a function", "onComplete");
    const latency = this.routeLatency(spec.route);
    let bound = this.streamBound(latency, spec.windowBytes, "windowBytes");
    if (spec.maxRatePerMemberBitsPerSecond !== undefined) {
      requirePositive(spec.maxRatePerMemberBitsPerSecond, "maxRatePerMemberBitsPerSecond");
      bound = Math.min(bound, spec.maxRatePerMemberBitsPerSecond / 8 / streams);
    }
    const slot = this.takeSlot(spec.route, latency, bound, 0);
    this.flowState[slot] = IDLE;
    this.groups[slot] = new GroupState(streams, spec.onComplete);
    return this.flowGen[slot]! * SLOT_BITS + slot;
  }

  /** Adds a transfer of `bytes` to a group; it moves bytes after the route latency. */
  addMember(group: FlowId, bytes: number, tag: number): void {
    const slot = this.requireGroup(group);
    requireFinite(bytes, "bytes");
    const latency = this.flowLatency(slot);
    if (latency > 0) {
      const j: JoinRecord = { slot, bytes, tag, handle: -1 };
      j.handle = this.sim.schedule(latency, this.onJoin, j);
      this.groups[slot]!.joining.add(j);
    } else {
      this.join(slot, bytes, tag);
    }
  }

  /**
   * Bytes a group's members have moved since it opened, together: those that finished, those
   * still moving and those aborted (the integral of the group's rate). Applies no pending change.
   */
  groupBytesMoved(group: FlowId): number {
    const slot = this.requireGroup(group);
    const moved = this.groups[slot]!.moved;
    return this.flowState[slot] === ACTIVE ? moved + this.flowRate[slot]! * (this.sim.now - this.flowUpdated[slot]!) : moved;
  }

  /** Member transfers in a group, moving bytes or still paying the route latency. */
  groupMembers(group: FlowId): number {
    const g = this.groups[this.requireGroup(group)]!;
    return g.members + g.joining.size;
  }

  /**
   * Stops every member of a group (for example when a site at either end fails) and returns
   * their tags; they never call back. The group stays open for new members.
   */
  abortGroup(group: FlowId): number[] {
    const slot = this.requireGroup(group);
    const g = this.groups[slot]!;
    const tags = [...g.tags];
    for (const j of g.joining) {
      this.sim.cancel(j.handle);
      tags.push(j.tag);
    }
    g.joining.clear();
    g.thresholds.length = 0;
    g.tags.length = 0;
    if (this.flowEvent[slot]! >= 0) this.sim.cancel(this.flowEvent[slot]!);
    this.flowEvent[slot] = -1;
    if (this.flowState[slot] === ACTIVE) {
      this.advanceGroup(slot, g, this.sim.now);
      this.detach(slot);
      this.flowState[slot] = IDLE;
    }
    this.flowStreams[slot] = 0;
    this.flowRate[slot] = 0;
    g.ratePerMember = 0;
    return tags;
  }

  /** Aborts any members and frees the group. */
  closeGroup(group: FlowId): number[] {
    const tags = this.abortGroup(group);
    const slot = this.requireGroup(group);
    this.groups[slot] = undefined;
    this.freeSlot(slot);
    return tags;
  }

  private join(slot: number, bytes: number, tag: number): void {
    const g = this.groups[slot]!;
    const now = this.sim.now;
    if (this.flowState[slot] === ACTIVE) this.advanceGroup(slot, g, now);
    this.flowUpdated[slot] = now;
    g.push(g.service + bytes, tag);
    g.membersChanged = true;
    this.flowStreams[slot] = g.members * g.streamsPerMember;
    if (this.flowState[slot] === IDLE) this.attach(slot);
    else this.markRouteDirty(slot);
  }

  private groupFinish(slot: number): void {
    const g = this.groups[slot]!;
    const now = this.sim.now;
    this.advanceGroup(slot, g, now);
    // The event was set for the smallest threshold; members within rounding of it finish too.
    const done: number[] = [g.pop()];
    const slack = Math.abs(g.service) * 1e-12;
    while (g.members > 0 && g.thresholds[0]! <= g.service + slack) done.push(g.pop());
    g.membersChanged = true;
    this.flowStreams[slot] = g.members * g.streamsPerMember;
    if (g.members === 0) {
      this.detach(slot);
      this.flowState[slot] = IDLE;
      this.flowRate[slot] = 0;
      g.ratePerMember = 0;
    } else {
      this.markRouteDirty(slot);
    }
    for (const tag of done) g.onComplete(tag);
  }

  private markRouteDirty(slot: number): void {
    const route = this.flowRoute[slot]!;
    for (let i = 0; i < route.length; i++) this.markDirty(route[i]!);
  }

  private flowLatency(slot: number): number {
    const route = this.flowRoute[slot]!;
    let latency = 0;
    for (let i = 0; i < route.length; i++) latency += this.linkLatency[route[i]!]!;
    return latency;
  }

  /** Validates a route (known links, each once) and returns its latency, summed in route order. */
  private routeLatency(route: readonly LinkId[]): number {
    if (!Array.isArray(route) && !(route instanceof Int32Array)) {
      throw new NetworkError("route must be an array of link ids", "route");
    }
    if (route.length === 0) throw new NetworkError("route must cross at least one link", "route");
    const stamp = ++this.epoch;
    let latency = 0;
    for (let i = 0; i < route.length; i++) {
      const l = route[i]!;
      this.requireLink(l, `route[${i}]`);
      if (this.linkMark[l] === stamp) {
        throw new NetworkError(`route crosses link ${this.linkNames[l]} twice`, `route[${i}]`);
      }
      this.linkMark[l] = stamp;
      latency += this.linkLatency[l]!;
    }
    return latency;
  }

  /** Per-stream cap from a TCP window: window / (2 x route latency), as SimGrid's TCP-gamma. */
  private streamBound(latency: number, windowBytes: number | undefined, argument: string): number {
    if (windowBytes === undefined) return Infinity;
    requirePositive(windowBytes, argument);
    return latency > 0 ? windowBytes / (2 * latency) : Infinity;
  }

  private takeSlot(route: readonly LinkId[], latency: number, bound: number, streams: number): number {
    if (this.freeSlots.length === 0) this.growFlows(this.flowCapacity * 2);
    const slot = this.freeSlots.pop()!;
    this.flowRate[slot] = 0;
    this.flowUpdated[slot] = this.sim.now;
    this.flowWeight[slot] = this.sharing === "latency-weighted" && latency > 0 ? latency : 1;
    this.flowBound[slot] = bound;
    this.flowStreams[slot] = streams;
    this.flowRoute[slot] = Int32Array.from(route);
    this.flowLinkPos[slot] = new Int32Array(route.length);
    this.flowEvent[slot] = -1;
    return slot;
  }

  /** Stops a flow that has not completed; its bytes are dropped and it never calls back. */
  cancelFlow(flow: FlowId): boolean {
    const slot = this.liveSlot(flow);
    if (slot < 0) return false;
    if (this.groups[slot] !== undefined) throw new NetworkError("cancelFlow() on a group: use closeGroup()", "flow");
    if (this.flowEvent[slot]! >= 0) this.sim.cancel(this.flowEvent[slot]!);
    if (this.flowState[slot] === ACTIVE) this.detach(slot);
    this.freeSlot(slot);
    return true;
  }

  isLive(flow: FlowId): boolean {
    return this.liveSlot(flow) >= 0;
  }

  /** Current rate of a flow, bit/s (0 while it pays its latency or its route is cut). */
  flowRateBitsPerSecond(flow: FlowId): number {
    const slot = this.requireFlow(flow);
    this.flush();
    return this.flowRate[slot]! * 8;
  }

  flowRemainingBytes(flow: FlowId): number {
    const slot = this.requireFlow(flow);
    if (this.groups[slot] !== undefined) throw new NetworkError("flowRemainingBytes() on a group", "flow");
    this.flush();
    const left = this.flowRemaining[slot]! - this.flowRate[slot]! * (this.sim.now - this.flowUpdated[slot]!);
    return left > 0 ? left : 0;
  }

  /** Flows started and not yet completed or cancelled. */
  get liveFlows(): number {
    return this.flowCapacity - this.freeSlots.length;
  }

  /** Flows moving bytes (past their latency phase). */
  get activeFlows(): number {
    return this.active;
  }

  /** Rate computations done so far, and how many flows the last one covered. */
  get solves(): number {
    return this._solves;
  }
  get lastSolveFlows(): number {
    return this._lastSolveFlows;
  }
  /** Flows touched by all solves so far: the cost of sharing, for benchmarks. */
  get solvedFlows(): number {
    return this._solvedFlows;
  }

  /** Applies pending changes now instead of at the end of the instant. */
  flush(): void {
    if (this.solvePending) {
      this.solvePending = false;
      this.solve();
    }
  }

  // ---------------------------------------------------------------- internals

  private activate(slot: number): void {
    if (this.flowRemaining[slot]! <= 0) {
      // Nothing to move: done at the end of the latency, as an event so that a zero-latency,
      // zero-byte flow never calls back from inside startFlow().
      this.flowEvent[slot] = this.sim.schedule(0, this.onFinish, slot);
      return;
    }
    this.attach(slot);
  }

  /** Puts a flow on its links; rates are shared at the end of the instant. */
  private attach(slot: number): void {
    this.flowState[slot] = ACTIVE;
    this.active++;
    this.flowUpdated[slot] = this.sim.now;
    const route = this.flowRoute[slot]!;
    const pos = this.flowLinkPos[slot]!;
    for (let i = 0; i < route.length; i++) {
      const l = route[i]!;
      const list = this.linkFlows[l]!;
      pos[i] = list.length;
      list.push(slot);
      this.markDirty(l);
    }
  }

  private finish(slot: number): void {
    const done = this.flowDone[slot];
    const id = this.flowGen[slot]! * SLOT_BITS + slot;
    if (this.flowState[slot] === ACTIVE) this.detach(slot);
    this.freeSlot(slot);
    if (done !== undefined) done(id);
  }

  /** Takes an active flow off its links; the solve at the end of the instant re-shares them. */
  private detach(slot: number): void {
    const route = this.flowRoute[slot]!;
    const pos = this.flowLinkPos[slot]!;
    for (let i = 0; i < route.length; i++) {
      const l = route[i]!;
      const list = this.linkFlows[l]!;
      const at = pos[i]!;
      const last = list.pop()!;
      if (last !== slot) {
        list[at] = last;
        // Find which hop of the moved flow is this link, to update its position there.
        const r = this.flowRoute[last]!;
        for (let j = 0; j < r.length; j++) {
          if (r[j] === l) {
            this.flowLinkPos[last]![j] = at;
            break;
          }
        }
      }
      this.markDirty(l);
    }
    this.active--;
  }

  private freeSlot(slot: number): void {
    this.flowState[slot] = FREE;
    this.flowEvent[slot] = -1;
    this.flowRate[slot] = 0;
    this.flowDone[slot] = undefined;
    this.flowGen[slot] = (this.flowGen[slot]! + 1) % GEN_LIMIT;
    this.freeSlots.push(slot);
  }

  private markDirty(link: number): void {
    if (!this.linkDirty[link]) {
      this.linkDirty[link] = true;
      this.dirtyLinks.push(link);
    }
    if (!this.solvePending) {
      this.solvePending = true;
      this.sim.atEndOfInstant(this.onEndOfInstant);
    }
  }

  /**
   * Weighted max-min fair rates for the component of flows reachable from the dirty links, by
   * progressive filling: repeatedly find the tightest constraint - the link whose remaining
   * capacity per unit of weight is smallest, or a flow's own cap if lower - fix the flows it
   * binds, and take their rates off every link they cross.
   */
  private solve(): void {
    const now = this.sim.now;
    const stamp = ++this.epoch;
    const links = this.compLinks;
    const flows = this.compFlows;
    links.length = 0;
    flows.length = 0;
    for (const l of this.dirtyLinks) {
      this.linkDirty[l] = false;
      if (this.linkMark[l] !== stamp) {
        this.linkMark[l] = stamp;
        links.push(l);
      }
    }
    this.dirtyLinks.length = 0;
    for (let i = 0; i < links.length; i++) {
      const list = this.linkFlows[links[i]!]!;
      for (let j = 0; j < list.length; j++) {
        const f = list[j]!;
        if (this.flowMark[f] === stamp) continue;
        this.flowMark[f] = stamp;
        flows.push(f);
        const route = this.flowRoute[f]!;
        for (let k = 0; k < route.length; k++) {
          const m = route[k]!;
          if (this.linkMark[m] !== stamp) {
            this.linkMark[m] = stamp;
            links.push(m);
          }
        }
      }
    }
    this._solves++;
    this._lastSolveFlows = flows.length;
    this._solvedFlows += flows.length;

    const remaining = this.linkRemaining;
    const usage = this.linkUsage;
    const unfixed = this.linkUnfixed;
    const newUsed = this.linkNewUsed;
    for (let i = 0; i < links.length; i++) {
      const l = links[i]!;
      remaining[l] = this.linkBandwidth[l]!;
      usage[l] = 0;
      unfixed[l] = 0;
      newUsed[l] = 0;
    }
    for (let i = 0; i < flows.length; i++) {
      const f = flows[i]!;
      const inv = this.flowStreams[f]! / this.flowWeight[f]!;
      const route = this.flowRoute[f]!;
      for (let k = 0; k < route.length; k++) {
        const l = route[k]!;
        usage[l]! += inv;
        unfixed[l]!++;
      }
    }

    // Progressive filling. `open` is the prefix of `links` still holding unfixed flows.
    // Caps are checked only for the flows on the tightest link, as SimGrid does: a capped flow
    // elsewhere is fixed when its own link becomes the tightest, which gives the same (unique)
    // max-min allocation without sorting every capped flow on every solve.
    let open = links.length;
    let left = flows.length;
    while (left > 0) {
      let minShare = Infinity;
      let minLink = -1;
      for (let i = 0; i < open; i++) {
        const l = links[i]!;
        if (unfixed[l] === 0) {
          links[i] = links[--open]!;
          links[open] = l;
          i--;
          continue;
        }
        const r = remaining[l]!;
        const share = r > 0 ? r / usage[l]! : 0;
        if (share < minShare) {
          minShare = share;
          minLink = l;
        }
      }
      if (minLink < 0) break; // cannot happen: every unfixed flow crosses an open link
      const list = this.linkFlows[minLink]!;
      let minBound = Infinity;
      for (let j = 0; j < list.length; j++) {
        const f = list[j]!;
        if (this.flowFixed[f] === stamp) continue;
        const b = this.flowBound[f]! * this.flowWeight[f]!;
        if (b < minBound) minBound = b;
      }
      if (minBound < minShare) {
        // Fix the flows whose cap binds first; the link's share is recomputed next round.
        for (let j = 0; j < list.length; j++) {
          const f = list[j]!;
          if (this.flowFixed[f] === stamp || this.flowBound[f]! * this.flowWeight[f]! !== minBound) continue;
          this.fix(f, this.flowBound[f]!, stamp);
          left--;
        }
        continue;
      }
      for (let j = 0; j < list.length; j++) {
        const f = list[j]!;
        if (this.flowFixed[f] === stamp) continue;
        this.fix(f, minShare / this.flowWeight[f]!, stamp);
        left--;
      }
    }

    // New rates: bring progress up to now at the old rate, then move completion events.
    for (let i = 0; i < flows.length; i++) {
      const f = flows[i]!;
      const rate = this.newRate[f]!;
      const g = this.groups[f];
      if (g !== undefined) {
        this.regroup(f, g, rate, now);
        continue;
      }
      const old = this.flowRate[f]!;
      if (rate === old) continue;
      let rem = this.flowRemaining[f]! - old * (now - this.flowUpdated[f]!);
      if (rem < 0) rem = 0;
      this.flowRemaining[f] = rem;
      this.flowUpdated[f] = now;
      this.flowRate[f] = rate;
      this.setCompletion(f, rate > 0 ? now + rem / rate : Infinity, this.onFinish);
    }
    for (let i = 0; i < links.length; i++) {
      const l = links[i]!;
      this.linkCarried[l]! += this.linkUsed[l]! * (now - this.linkUpdated[l]!);
      this.linkUpdated[l] = now;
      this.linkUsed[l] = newUsed[l]!;
    }
  }

  /** A group's new rate: advance its service at the old per-member rate, then re-time its next finish. */
  private regroup(f: number, g: GroupState, rate: number, now: number): void {
    if (rate === this.flowRate[f]! && !g.membersChanged) return;
    this.advanceGroup(f, g, now);
    this.flowRate[f] = rate;
    g.membersChanged = false;
    g.ratePerMember = rate / g.members;
    const left = g.thresholds[0]! - g.service;
    this.setCompletion(f, g.ratePerMember > 0 ? now + (left > 0 ? left : 0) / g.ratePerMember : Infinity, this.onGroupFinish);
  }

  /** Brings a group's progress up to now at its current rate. */
  private advanceGroup(slot: number, g: GroupState, now: number): void {
    const dt = now - this.flowUpdated[slot]!;
    g.service += g.ratePerMember * dt;
    g.moved += this.flowRate[slot]! * dt;
    this.flowUpdated[slot] = now;
  }

  private setCompletion(f: number, at: number, fn: (slot: number) => void): void {
    const ev = this.flowEvent[f]!;
    if (at !== Infinity) {
      if (ev >= 0) this.sim.reschedule(ev, at);
      else this.flowEvent[f] = this.sim.scheduleAt(at, fn, f);
    } else if (ev >= 0) {
      this.sim.cancel(ev);
      this.flowEvent[f] = -1;
    }
  }

  /** Fixes flow f at `perStream` bytes/s for each of its streams. */
  private fix(f: number, perStream: number, stamp: number): void {
    this.flowFixed[f] = stamp;
    const streams = this.flowStreams[f]!;
    const rate = perStream * streams;
    this.newRate[f] = rate;
    const inv = streams / this.flowWeight[f]!;
    const route = this.flowRoute[f]!;
    for (let k = 0; k < route.length; k++) {
      const l = route[k]!;
      this.linkRemaining[l]! -= rate;
      this.linkUsage[l]! -= inv;
      this.linkUnfixed[l]!--;
      this.linkNewUsed[l]! += rate;
    }
  }

  private growFlows(n: number): void {
    const old = this.flowCapacity;
    const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.flowState = grow(this.flowState, (k) => new Uint8Array(k));
    this.flowGen = grow(this.flowGen, (k) => new Uint32Array(k));
    this.flowRemaining = grow(this.flowRemaining, (k) => new Float64Array(k));
    this.flowRate = grow(this.flowRate, (k) => new Float64Array(k));
    this.flowUpdated = grow(this.flowUpdated, (k) => new Float64Array(k));
    this.flowWeight = grow(this.flowWeight, (k) => new Float64Array(k));
    this.flowBound = grow(this.flowBound, (k) => new Float64Array(k));
    this.flowStreams = grow(this.flowStreams, (k) => new Float64Array(k));
    this.flowEvent = grow(this.flowEvent, (k) => new Float64Array(k));
    this.flowMark = grow(this.flowMark, (k) => new Uint32Array(k));
    this.flowFixed = grow(this.flowFixed, (k) => new Uint32Array(k));
    this.newRate = grow(this.newRate, (k) => new Float64Array(k));
    for (let s = old; s < n; s++) {
      this.flowRoute.push(EMPTY);
      this.flowLinkPos.push(EMPTY);
      this.flowDone.push(undefined);
      this.groups.push(undefined);
    }
    for (let s = n - 1; s >= old; s--) this.freeSlots.push(s);
    this.flowCapacity = n;
  }

  private liveSlot(flow: FlowId): number {
    if (!Number.isInteger(flow) || flow < 0) return -1;
    const slot = flow % SLOT_BITS;
    if (slot >= this.flowCapacity || this.flowGen[slot] !== Math.floor(flow / SLOT_BITS)) return -1;
    return this.flowState[slot] === FREE ? -1 : slot;
  }

  private requireFlow(flow: FlowId): number {
    const slot = this.liveSlot(flow);
    if (slot < 0) throw new NetworkError(`flow ${String(flow)} is not live (completed, cancelled or unknown)`, "flow");
    return slot;
  }

  private requireGroup(group: FlowId): number {
    const slot = this.requireFlow(group);
    if (this.groups[slot] === undefined) throw new NetworkError(`flow ${String(group)} is not a group`, "group");
    return slot;
  }

  private requireLink(link: number, argument: string): void {
    if (!Number.isInteger(link) || link < 0 || link >= this.linkCount) {
      throw new NetworkError(`${argument}: unknown link ${String(link)} (network has ${this.linkCount} links)`, argument);
    }
  }
}

const EMPTY = new Int32Array(0);

function requireFinite(value: number, argument: string): void {
  if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
    throw new NetworkError(`${argument} must be a finite number >= 0, got ${String(value)}`, argument);
  }
}

function requireStreams(streams: number | undefined): number {
  if (streams === undefined) return 1;
  if (!Number.isInteger(streams) || streams < 1) {
    throw new NetworkError(`streams must be an integer >= 1, got ${String(streams)}`, "streams");
  }
  return streams;
}

function requirePositive(value: number, argument: string): void {
  if (typeof value !== "number" || !(value > 0) || value === Infinity) {
    throw new NetworkError(`${argument} must be a finite number > 0, got ${String(value)}`, argument);
  }
}
