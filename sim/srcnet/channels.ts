import type { FlowId, Network } from "../network/index.js";
import { IntQueue } from "./columns.js";

/**
 * FTS-like transfer scheduling between two endpoints: at most `maxActive` transfers move at
 * once (as FTS's per-link active limit), each over `streams` TCP streams whose windows cap them;
 * the rest wait in FIFO order. Active transfers are members of one network transfer group.
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
