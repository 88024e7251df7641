/**
 * What each SKA telescope can observe: frequency bands, dish or station size, longest
 * baseline, integration time, and the declinations it can reach. Sources: SKAO "SKA1 design
 * baseline" and the SKA Observatory's published telescope specifications (SKA-Low 50-350 MHz,
 * 38 m stations, ~74 km baselines; SKA-Mid receivers Band 1-5b, 15 m dishes, ~150 km baselines).
 */
import type { Telescope } from "../scenarios/types.js";

export const SPEED_OF_LIGHT = 299_792_458;

export interface Band {
  /** instrument_name in the catalogue. */
  name: string;
  minHz: number;
  maxHz: number;
  /** Relative share of SV observations in this band (assumption). */
  weight: number;
}

export interface TelescopeProfile {
  kind: "low" | "mid";
  /** Short code used in file names and proposal ids. */
  code: string;
  facility: string;
  bands: Band[];
  /** Station or dish diameter, m: the primary beam (field of view) is ~ lambda / D. */
  apertureMetres: number;
  maxBaselineMetres: number;
  /** Visibility integration time, s. */
  integrationSeconds: number;
  /** Finest visibility channel width, Hz. */
  channelHz: number;
  latitudeDegrees: number;
  /** Highest declination observed: the source must transit at least 25 degrees above the horizon. */
  maxDecDegrees: number;
}

export const MIN_TRANSIT_ELEVATION_DEGREES = 25;

const LOW_BANDS: Band[] = [{ name: "SKA-Low LFAA", minHz: 50e6, maxHz: 350e6, weight: 1 }];
// Assumption on the band shares: Band 2 (L-band) dominates early SV, Bands 3/4 come later.
const MID_BANDS: Band[] = [
  { name: "SKA-Mid Band 1", minHz: 0.35e9, maxHz: 1.05e9, weight: 0.25 },
  { name: "SKA-Mid Band 2", minHz: 0.95e9, maxHz: 1.76e9, weight: 0.45 },
  { name: "SKA-Mid Band 3", minHz: 1.65e9, maxHz: 3.05e9, weight: 0.05 },
  { name: "SKA-Mid Band 4", minHz: 2.8e9, maxHz: 5.18e9, weight: 0.05 },
  { name: "SKA-Mid Band 5a", minHz: 4.6e9, maxHz: 8.5e9, weight: 0.1 },
  { name: "SKA-Mid Band 5b", minHz: 8.3e9, maxHz: 15.4e9, weight: 0.1 },
];

/** The profile of a scenario telescope: SKA-Low if its name says "low", SKA-Mid otherwise. */
export function profileOf(t: Telescope): TelescopeProfile {
  const low = /low/i.test(t.name);
  const lat = t.latitudeDegrees;
  return low
    ? {
        kind: "low",
        code: "low",
        facility: "SKA-Low",
        bands: LOW_BANDS,
        apertureMetres: 38,
        maxBaselineMetres: 74_000,
        integrationSeconds: 0.849,
        channelHz: 5_425.347,
        latitudeDegrees: lat,
        maxDecDegrees: Math.min(90, lat + 90 - MIN_TRANSIT_ELEVATION_DEGREES),
      }
    : {
        kind: "mid",
        code: "mid",
        facility: "SKA-Mid",
        bands: MID_BANDS,
        apertureMetres: 15,
        maxBaselineMetres: 150_000,
        integrationSeconds: 0.14,
        channelHz: 13_440,
        latitudeDegrees: lat,
        maxDecDegrees: Math.min(90, lat + 90 - MIN_TRANSIT_ELEVATION_DEGREES),
      };
}
