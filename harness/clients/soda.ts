/**
 * SODA (IVOA Server-side Operations for Data Access 1.0) on the stack's DaCHS: the `dlget`
 * endpoint of the `srcnet/q` resource's datalink service. ID is the catalogue's
 * obs_publisher_did (or DaCHS's standard pubDID of the file); CIRCLE is "ra dec radius" in
 * degrees (ICRS).
 */
export const SODA_PATH = "/srcnet/q/dl/dlget";

export function sodaCutoutUrl(dachsBase: string, id: string, circle: { ra: number; dec: number; radiusDeg: number }): string {
  const q = new URLSearchParams({ ID: id, CIRCLE: `${circle.ra} ${circle.dec} ${circle.radiusDeg}` });
  return `${dachsBase}${SODA_PATH}?${q.toString()}`;
}
