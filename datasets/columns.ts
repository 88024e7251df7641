/**
 * The catalogue's columns: IVOA ObsCore 1.1 (names, units, UCDs and utypes as in the
 * standard's table of mandatory and optional fields), plus a few SRCNet extension columns; and
 * the file manifest's columns. One definition feeds the Arrow schema, the VOTable FIELDs and the
 * CSV header.
 */
export type ColumnKind = "double" | "long" | "int" | "short" | "char";

export interface ColumnDef {
  name: string;
  kind: ColumnKind;
  unit?: string;
  ucd?: string;
  utype?: string;
  nullable?: boolean;
  description: string;
}

const o = (s: string) => `obscore:${s}`;

export const OBSCORE_COLUMNS: ColumnDef[] = [
  { name: "dataproduct_type", kind: "char", ucd: "meta.code.class", utype: o("ObsDataset.dataProductType"), description: "Data product (file content) primary type" },
  { name: "calib_level", kind: "short", ucd: "meta.code;obs.calib", utype: o("ObsDataset.calibLevel"), description: "Calibration level of the observation: in {0, 1, 2, 3, 4}" },
  { name: "obs_collection", kind: "char", ucd: "meta.id", utype: o("DataID.Collection"), description: "Name of the data collection" },
  { name: "obs_id", kind: "char", ucd: "meta.id", utype: o("DataID.observationID"), description: "Observation ID" },
  { name: "obs_publisher_did", kind: "char", ucd: "meta.ref.ivoid", utype: o("Curation.PublisherDID"), description: "Dataset identifier given by the publisher" },
  { name: "access_url", kind: "char", ucd: "meta.ref.url", utype: o("Access.Reference"), description: "URL used to access (download) dataset" },
  { name: "access_format", kind: "char", ucd: "meta.code.mime", utype: o("Access.Format"), description: "File content format" },
  { name: "access_estsize", kind: "long", unit: "kbyte", ucd: "phys.size;meta.file", utype: o("Access.Size"), description: "Estimated size of dataset in kilo bytes" },
  { name: "target_name", kind: "char", ucd: "meta.id;src", utype: o("Target.Name"), description: "Astronomical object observed, if any" },
  { name: "s_ra", kind: "double", unit: "deg", ucd: "pos.eq.ra", utype: o("Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C1"), description: "Central right ascension, ICRS" },
  { name: "s_dec", kind: "double", unit: "deg", ucd: "pos.eq.dec", utype: o("Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C2"), description: "Central declination, ICRS" },
  { name: "s_fov", kind: "double", unit: "deg", ucd: "phys.angSize;instr.fov", utype: o("Char.SpatialAxis.Coverage.Bounds.Extent.diameter"), description: "Diameter (bounds) of the covered region" },
  { name: "s_region", kind: "char", ucd: "pos.outline;obs.field", utype: o("Char.SpatialAxis.Coverage.Support.Area"), description: "Sky region covered by the data product (expressed in ICRS frame)" },
  { name: "s_resolution", kind: "double", unit: "arcsec", ucd: "pos.angResolution", utype: o("Char.SpatialAxis.Resolution.Refval.value"), description: "Spatial resolution of data as FWHM" },
  { name: "s_xel1", kind: "long", ucd: "meta.number", utype: o("Char.SpatialAxis.numBins1"), nullable: true, description: "Number of elements along the first spatial axis" },
  { name: "s_xel2", kind: "long", ucd: "meta.number", utype: o("Char.SpatialAxis.numBins2"), nullable: true, description: "Number of elements along the second spatial axis" },
  { name: "t_min", kind: "double", unit: "d", ucd: "time.start;obs.exposure", utype: o("Char.TimeAxis.Coverage.Bounds.Limits.StartTime"), description: "Start time in MJD" },
  { name: "t_max", kind: "double", unit: "d", ucd: "time.end;obs.exposure", utype: o("Char.TimeAxis.Coverage.Bounds.Limits.StopTime"), description: "Stop time in MJD" },
  { name: "t_exptime", kind: "double", unit: "s", ucd: "time.duration;obs.exposure", utype: o("Char.TimeAxis.Coverage.Support.Extent"), description: "Total exposure time" },
  { name: "t_resolution", kind: "double", unit: "s", ucd: "time.resolution", utype: o("Char.TimeAxis.Resolution.Refval.value"), description: "Temporal resolution FWHM" },
  { name: "t_xel", kind: "long", ucd: "meta.number", utype: o("Char.TimeAxis.numBins"), description: "Number of elements along the time axis" },
  { name: "em_min", kind: "double", unit: "m", ucd: "em.wl;stat.min", utype: o("Char.SpectralAxis.Coverage.Bounds.Limits.LoLimit"), description: "Start in spectral coordinates (vacuum wavelength)" },
  { name: "em_max", kind: "double", unit: "m", ucd: "em.wl;stat.max", utype: o("Char.SpectralAxis.Coverage.Bounds.Limits.HiLimit"), description: "Stop in spectral coordinates (vacuum wavelength)" },
  { name: "em_res_power", kind: "double", ucd: "spect.resolution", utype: o("Char.SpectralAxis.Resolution.ResolPower.refVal"), description: "Value of the resolving power along the spectral axis (R)" },
  { name: "em_xel", kind: "long", ucd: "meta.number", utype: o("Char.SpectralAxis.numBins"), description: "Number of elements along the spectral axis" },
  { name: "o_ucd", kind: "char", ucd: "meta.ucd", utype: o("Char.ObservableAxis.ucd"), description: "UCD of observable (e.g. phot.flux.density, phot.count, etc.)" },
  { name: "pol_states", kind: "char", ucd: "meta.code;phys.polarization", utype: o("Char.PolarizationAxis.stateList"), nullable: true, description: "List of polarization states or NULL if not applicable" },
  { name: "pol_xel", kind: "long", ucd: "meta.number", utype: o("Char.PolarizationAxis.numBins"), nullable: true, description: "Number of polarization samples" },
  { name: "facility_name", kind: "char", ucd: "meta.id;instr.tel", utype: o("Provenance.ObsConfig.Facility.name"), description: "Name of the facility used for this observation" },
  { name: "instrument_name", kind: "char", ucd: "meta.id;instr", utype: o("Provenance.ObsConfig.Instrument.name"), description: "Name of the instrument used for this observation" },
  // Extension columns (not in ObsCore).
  { name: "proposal_id", kind: "char", ucd: "meta.id;obs.proposal", description: "Identifier of the Science Verification proposal (extension)" },
  { name: "pi_name", kind: "char", ucd: "meta.id.PI", description: "Principal investigator of the proposal (extension)" },
  { name: "product_type", kind: "char", ucd: "meta.code.class", description: "SRCNet scenario product type: visibilities, image-cube, image or catalogue (extension)" },
  { name: "first_site", kind: "char", ucd: "meta.id", description: "SRCNet site the product is first ingested at (extension)" },
];

export const MANIFEST_COLUMNS: ColumnDef[] = [
  { name: "did", kind: "char", description: "Rucio data identifier scope:name" },
  { name: "scope", kind: "char", description: "Rucio scope" },
  { name: "name", kind: "char", description: "Rucio name (unique in the scope)" },
  { name: "path", kind: "char", description: "Payload file relative to the dataset directory" },
  { name: "bytes", kind: "long", unit: "byte", description: "Real size of the product, bytes (as in the catalogue)" },
  { name: "payload_bytes", kind: "long", unit: "byte", description: "Size of the scaled payload file on disk (0 without payloads)" },
  { name: "adler32", kind: "char", nullable: true, description: "Adler-32 of the payload file, 8 hex digits (null without payloads)" },
  { name: "md5", kind: "char", nullable: true, description: "MD5 of the payload file, hex (null without payloads)" },
  { name: "product_type", kind: "char", description: "Scenario product type" },
  { name: "telescope", kind: "char", description: "Scenario telescope" },
  { name: "first_site", kind: "char", description: "Intended first (ingest) site" },
  { name: "created_seconds", kind: "double", unit: "s", description: "Simulated time the product appears, seconds from the scenario start" },
  { name: "obs_publisher_did", kind: "char", description: "The catalogue row of this file" },
];
