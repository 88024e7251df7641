import { Simulation } from "../kernel/index.js";
import { Network } from "../network/index.js";
import type { Scenario } from "../../scenarios/types.js";
import { FaultLog, Faults } from "./components/faults.js";
import { Ingest } from "./components/ingest.js";
import { Injections } from "./components/injections.js";
import { Jobs } from "./components/jobs.js";
import { Lifecycle } from "./components/lifecycle.js";
import { ProductTable } from "./components/products.js";
import { Replication } from "./components/replication.js";
import { SiteStatus } from "./components/sites.js";
import { Storage } from "./components/storage.js";
import { INGEST, INJECT, PULL, REPLICA, Transfers } from "./components/transfers.js";
import { buildTopology, type Topology } from "./topology.js";

/**
 * The SRCNet model on the kernel and the network, composed of components (`components/`):
 * telescopes produce products during their Science Verification periods; each is ingested at a
 * receiving site (Ingest), then replicated until the policy's number of copies on distinct sites
 * holds (Replication), through FTS-like channels per (source, destination) link (Transfers).
 * Storage fills and refuses when full (the data waits: backlog, never loss); copies move from
 * disk to tape after a delay, through contended tape drives (Storage); products are deleted after
 * their lifetime (Lifecycle). A site failure makes its copies unavailable; after a detection
 * delay, auto-recovery re-replicates from surviving copies; a product is lost only when its last
 * copy is gone (Faults). Analysis jobs queue for compute where the data is, or pull it (Jobs).
 *
 * Lower components (products, sites, storage, transfers) know nothing of the ones above them:
 * they report upward through the listener and client interfaces plugged in here.
 */
export class SrcnetModel {
  readonly sim: Simulation;
  readonly net: Network;
  readonly topo: Topology;
  readonly sc: Scenario;
  readonly nSites: number;

  readonly products: ProductTable;
  readonly sites: SiteStatus;
  readonly storage: Storage;
  readonly transfers: Transfers;
  readonly replication: Replication;
  readonly lifecycle: Lifecycle;
  readonly ingest: Ingest;
  readonly faults: Faults;
  readonly jobs: Jobs;
  readonly injections: Injections;

  constructor(sc: Scenario) {
    this.sc = sc;
    const sim = (this.sim = new Simulation({ seed: sc.seed }));
    this.net = new Network(sim, { sharing: sc.network.sharing });
    this.topo = buildTopology(sc, this.net);
    this.nSites = sc.sites.length;

    const products = (this.products = new ProductTable(sim, this.nSites, sc.output.productEvents));
    const sites = (this.sites = new SiteStatus(this.nSites));
    const storage = (this.storage = new Storage(sim, sc, products, sites));
    const transfers = (this.transfers = new Transfers(sim, this.net, this.topo, sc.policies.transfers, products, sc.output.transferEvents));
    const faultLog = new FaultLog(sim, products);
    // Ingest site choice and free-capacity placement share one stream.
    const placement = sim.random.stream("placement");
    const replication = (this.replication = new Replication(sim, sc, this.topo, products, sites, storage, transfers, faultLog, placement));
    const lifecycle = (this.lifecycle = new Lifecycle(sim, sc, products, storage, replication));
    const ingest = (this.ingest = new Ingest(sim, sc, this.topo, products, sites, storage, transfers, replication, lifecycle, sim.random.stream("products"), placement));
    this.faults = new Faults(sim, sc, this.net, this.topo, products, sites, storage, transfers, replication, ingest, faultLog);
    this.jobs = new Jobs(sim, sc, this.topo, products, sites, storage, transfers, replication, sim.random.stream("jobs"));
    this.injections = new Injections(sim, sc, this.topo, products, transfers);

    // Upward links: freed space retries what waits (backlogs first, then pending placements).
    storage.listener = replication;
    replication.backlog = ingest;
    lifecycle.intake = ingest;
    transfers.serve(INGEST, ingest);
    transfers.serve(REPLICA, replication);
    transfers.serve(PULL, this.jobs);
    transfers.serve(INJECT, this.injections);

    // Events of one instant run in the order they were scheduled: keep this order.
    ingest.start();
    this.faults.start();
    for (const op of sc.operations) sim.scheduleAt(op.atSeconds, () => replication.operate(op));
    this.jobs.start();
    this.injections.start();
  }
}
