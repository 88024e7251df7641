import type { Simulation } from "../../kernel/index.js";
import { F64Column, I32Column } from "../columns.js";

/**
 * The product table: one row per data product, as typed-array columns (millions of products
 * without an object each). Every component reads and writes these columns directly; the table
 * itself only appends rows, logs product events and indexes which products a site holds.
 */

// State flags (bits of `flags`)
export const DELETED = 1;
export const LOST = 2;
export const UNDER = 4; // ingested, fewer available copies than required
export const PENDING = 8; // waiting in the placement queue
export const INGESTED = 16;

/** Product event names; an event's code is its index here. */
export const PRODUCT_EVENTS = ["created", "ingested", "replicated", "to-tape", "deleted", "lost", "copy-lost"] as const;
export const EV_CREATED = 0;
export const EV_INGESTED = 1;
export const EV_REPLICATED = 2;
export const EV_TO_TAPE = 3;
export const EV_DELETED = 4;
export const EV_LOST = 5;
export const EV_COPY_LOST = 6;

/** Number of bits set (sites in a copies mask). */
export const popcount = (x: number): number => {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};

export interface ProductEvents {
  time: F64Column;
  product: I32Column;
  event: I32Column;
  site: I32Column;
}

export class ProductTable {
  readonly size = new F64Column();
  readonly born = new F64Column();
  /** When the product first had all its copies (NaN: not yet). */
  readonly replicatedAt = new F64Column();
  readonly telescope = new I32Column();
  /** Index into the telescope's product mix. */
  readonly type = new I32Column();
  /** Copies masks: bit s set when site s holds a copy. */
  readonly disk = new I32Column();
  readonly tape = new I32Column();
  /** Destinations with a transfer queued or moving. */
  readonly inflight = new I32Column();
  readonly flags = new I32Column();
  /** Fault that made it under-replicated, or -1. */
  readonly fault = new I32Column();
  /** Sites where the disk copy is a recall staged from tape. */
  readonly staged = new I32Column();
  /** The events table (null unless the scenario asks for it: it grows with every product). */
  readonly events: ProductEvents | null;
  private readonly atSite: I32Column[];

  constructor(
    private readonly sim: Simulation,
    nSites: number,
    logEvents: boolean,
  ) {
    this.atSite = Array.from({ length: nSites }, () => new I32Column());
    this.events = logEvents ? { time: new F64Column(), product: new I32Column(), event: new I32Column(), site: new I32Column() } : null;
  }

  get count(): number {
    return this.size.length;
  }

  /** Appends a product born now, with no copies; returns its id. */
  create(telescope: number, type: number, size: number): number {
    const p = this.size.push(size);
    this.born.push(this.sim.now);
    this.replicatedAt.push(NaN);
    this.telescope.push(telescope);
    this.type.push(type);
    this.disk.push(0);
    this.tape.push(0);
    this.inflight.push(0);
    this.flags.push(0);
    this.fault.push(-1);
    this.staged.push(0);
    return p;
  }

  /** Sets p's disk copy at a site, indexing p under the site if it held no copy there yet. */
  setDisk(p: number, site: number): void {
    const bit = 1 << site;
    if (((this.disk.data[p]! | this.tape.data[p]!) & bit) === 0) this.atSite[site]!.push(p);
    this.disk.data[p]! |= bit;
  }

  /** Visits the products with a copy (disk or tape) at a site; the index drops the others as it goes. */
  forEachAt(site: number, visit: (p: number) => void): void {
    const col = this.atSite[site]!;
    const bit = 1 << site;
    let w = 0;
    for (let i = 0; i < col.length; i++) {
      const p = col.data[i]!;
      if (((this.disk.data[p]! | this.tape.data[p]!) & bit) === 0) continue;
      col.data[w++] = p;
      visit(p);
    }
    col.length = w;
  }

  /** Logs an event of p now (site -1: none). */
  event(p: number, code: number, site: number): void {
    if (this.events === null) return;
    this.events.time.push(this.sim.now);
    this.events.product.push(p);
    this.events.event.push(code);
    this.events.site.push(site);
  }
}
