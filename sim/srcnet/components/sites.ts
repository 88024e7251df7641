/**
 * Which sites are up. Faults write it; placement, source choice, ingestion, tape and jobs read
 * `up` or `upMask` (bit s set when site s is up). Down faults may overlap: a site is up again
 * only when the last of them ends.
 */
export class SiteStatus {
  readonly up: boolean[];
  upMask: number;
  private readonly downs: number[];

  constructor(nSites: number) {
    if (nSites > 30) throw new Error(`at most 30 sites are supported, found ${nSites}`);
    this.up = Array.from({ length: nSites }, () => true);
    this.upMask = (1 << nSites) - 1;
    this.downs = Array.from({ length: nSites }, () => 0);
  }

  /** A down fault starts; true when the site was up until now. */
  goDown(site: number): boolean {
    if (this.downs[site]!++ > 0) return false;
    this.up[site] = false;
    this.upMask &= ~(1 << site);
    return true;
  }

  /** A down fault ends; true when that brings the site back. */
  comeUp(site: number): boolean {
    if (--this.downs[site]! > 0) return false;
    this.up[site] = true;
    this.upMask |= 1 << site;
    return true;
  }

  /** Sites down now. */
  get downCount(): number {
    return this.up.filter((u) => !u).length;
  }
}
