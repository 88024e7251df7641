<!-- STREAMs replacing the same-named ones of DaCHS's stock userconfig.rd
	(patch-userconfig.py writes the result to /var/gavo/etc/userconfig.rd):
	the SRCNet extension columns of the catalogue as ivoa.obscore extension
	columns, and TAP examples. -->
<resource schema="__system">
	<STREAM id="obscore-extraevents">
		<property name="obscoreClause" cumulate="True">
			,
			CAST(\\proposal_id AS text) AS proposal_id,
			CAST(\\pi_name AS text) AS pi_name,
			CAST(\\product_type AS text) AS product_type,
			CAST(\\first_site AS text) AS first_site
		</property>
	</STREAM>

	<STREAM id="obscore-extrapars">
		<mixinPar key="proposal_id">NULL</mixinPar>
		<mixinPar key="pi_name">NULL</mixinPar>
		<mixinPar key="product_type">NULL</mixinPar>
		<mixinPar key="first_site">NULL</mixinPar>
	</STREAM>

	<STREAM id="obscore-extracolumns">
		<column name="proposal_id" type="text" ucd="meta.id;obs.proposal"
			utype="obscore:Provenance.Proposal.identifier"
			tablehead="Proposal" verbLevel="20"
			description="Identifier of the Science Verification proposal
				(ObsCore 1.1 optional column)"/>
		<column name="pi_name" type="text" ucd="meta.id.PI"
			tablehead="PI" verbLevel="20"
			description="Principal investigator of the proposal (SRCNet
				extension)"/>
		<column name="product_type" type="text" ucd="meta.code.class"
			tablehead="SRCNet type" verbLevel="20"
			description="SRCNet scenario product type: visibilities, image-cube,
				image or catalogue (SRCNet extension)"/>
		<column name="first_site" type="text" ucd="meta.id"
			tablehead="First site" verbLevel="20"
			description="SRCNet site the product is first ingested at (SRCNet
				extension)"/>
	</STREAM>

	<STREAM id="tapexamples">
		<meta name="_example" title="Cone search in ObsCore">
			Data products whose centre is within 2 degrees of a position:

			.. tapquery::

				SELECT obs_id, dataproduct_type, s_ra, s_dec, s_fov, access_url
				FROM ivoa.obscore
				WHERE CONTAINS(POINT('ICRS', s_ra, s_dec),
				  CIRCLE('ICRS', 72.2, -25.7, 2))=1
		</meta>
		<meta name="_example" title="Images covering a position, with cutouts">
			Images and cubes whose footprint contains a position.  Their
			obs_publisher_did is the ID for the SODA service at
			/srcnet/q/dl/dlget (for instance ``ID=...&amp;CIRCLE=ra dec r``);
			the datalink service descriptor in the result points there, too.

			.. tapquery::

				SELECT obs_publisher_did, s_ra, s_dec, s_fov, em_min, em_max
				FROM ivoa.obscore
				WHERE dataproduct_type IN ('image', 'cube')
				  AND INTERSECTS(s_region, CIRCLE('ICRS', 72.2, -25.7, 0.1))=1
		</meta>
		<meta name="_example" title="Products per proposal and first site">
			The SRCNet extension columns (proposal_id, pi_name, product_type,
			first_site) are in ivoa.obscore and srcnet.catalogue (proposal_id is
			ObsCore 1.1's optional Provenance.Proposal.identifier).  (To sum
			access_estsize, write CAST(SUM(access_estsize) AS BIGINT): DaCHS
			cannot write the plain SUM of a bigint column to VOTable.)

			.. tapquery::

				SELECT proposal_id, first_site, COUNT(*) AS n,
				  MAX(access_estsize) AS max_kbytes
				FROM ivoa.obscore
				GROUP BY proposal_id, first_site
		</meta>
	</STREAM>
</resource>
