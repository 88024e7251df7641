"""Reads a catalogue's VOTable (astropy.io.votable) and CSV (the csv module) independently of
the writer that made them. Arguments: VOTABLE CSV N. Prints JSON {"vot": {column: [values]},
"csv": {column: [strings]}} for the first N rows; VOTable nulls (masked) are null, numbers keep
their type (floats print in Python's shortest round-trip form, so they compare exactly).
"""
import csv
import json
import sys
import warnings

import numpy as np
from astropy.io.votable import parse_single_table

warnings.simplefilter("ignore")
vot_path, csv_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

table = parse_single_table(vot_path).array
vot = {}
for name in table.dtype.names:
    col = table[name][:n]
    mask = np.ma.getmaskarray(col)
    values = []
    for v, m in zip(col.data, mask):
        if m:
            values.append(None)
        elif isinstance(v, (np.floating, float)):
            values.append(float(v))
        elif isinstance(v, (np.integer, int)):
            values.append(int(v))
        else:
            values.append(str(v))
    vot[name] = values

with open(csv_path, newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    rows = [r for _, r in zip(range(n), reader)]
csv_cols = {name: [r[i] for r in rows] for i, name in enumerate(header)}

json.dump({"vot": vot, "csv": csv_cols}, sys.stdout)
