/**
 * The entry points a generated campaign script calls: `setupCampaign` once (time origin, Rucio
 * token) and `runService` per iteration of each phase's per-service k6 scenario.
 */
import exec from "k6/execution";
import secrets from "k6/secrets";
import type { K6Plan, TapQueryKind } from "./plan.ts";
import { markStart } from "./record.ts";
import { authenticate, rucioOp } from "./rucio.ts";
import { read, upload } from "./webdav.ts";
import { ingestOne } from "./ingest.ts";
import { tapQuery } from "./tap.ts";
import { sodaCutout } from "./soda.ts";

export interface SetupData {
  token: string;
}

export async function setupCampaign(plan: K6Plan): Promise<SetupData> {
  let token = "";
  if (plan.endpoints.rucio !== null) {
    const get = async (k: string) => {
      try {
        return await secrets.get(k);
      } catch {
        return undefined;
      }
    };
    token = authenticate(plan, { username: await get("rucio_username"), password: await get("rucio_password"), token: await get("rucio_token") });
  }
  markStart();
  return { token };
}

/**
 * The operation of this iteration from the scenario's mix (`__ENV.MIX`: name -> weight): a
 * low-discrepancy sequence over the iteration number, so the mix is exact over any stretch of
 * iterations and the same every run.
 */
function pick(mix: [string, number][]): string {
  const total = mix.reduce((s, [, w]) => s + w, 0);
  let x = ((exec.scenario.iterationInTest * 0.6180339887498949) % 1) * total;
  for (const [op, w] of mix) {
    if (x < w) return op;
    x -= w;
  }
  return mix[mix.length - 1]![0];
}

const mixes = new Map<string, [string, number][]>();
const mixOf = (): [string, number][] => {
  const key = __ENV.MIX ?? "{}";
  let m = mixes.get(key);
  if (m === undefined) {
    m = Object.entries(JSON.parse(key) as Record<string, number>).filter(([, w]) => w > 0);
    mixes.set(key, m);
  }
  return m;
};

let tapIndex = 0;
let sodaIndex = 0;

export function runService(plan: K6Plan, service: string, data: SetupData, payloads: ArrayBuffer[]): void {
  const op = pick(mixOf());
  switch (service) {
    case "tap": {
      const pool = plan.tap.filter((q) => q.kind === (op as TapQueryKind));
      const qs = pool.length > 0 ? pool : plan.tap;
      if (qs.length > 0) tapQuery(plan, qs[(exec.vu.idInTest + tapIndex++) % qs.length]!);
      break;
    }
    case "soda":
      if (plan.soda.length > 0) sodaCutout(plan, plan.soda[(exec.vu.idInTest + sodaIndex++) % plan.soda.length]!);
      break;
    case "webdav":
      if (op === "upload") upload(plan, payloads);
      else read(plan);
      break;
    case "rucio":
      rucioOp(plan, data.token, op);
      break;
    case "ingest":
      ingestOne(plan, data.token, payloads);
      break;
  }
}
