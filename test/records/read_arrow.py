"""An Arrow IPC file read by pyarrow, as JSON: fields (name, type, nullable), record batches' row
counts, dictionary deltas and replacements read, and the columns as lists (dictionaries decoded,
nulls as None, NaN as the string "NaN")."""
import json
import math
import sys

import pyarrow as pa
import pyarrow.ipc as ipc


def plain(v):
    return "NaN" if isinstance(v, float) and math.isnan(v) else v


with pa.memory_map(sys.argv[1]) as source:
    reader = ipc.open_file(source)
    batches = [reader.get_batch(i) for i in range(reader.num_record_batches)]
    table = reader.read_all()
    stats = reader.stats
table.validate(full=True)
print(
    json.dumps(
        {
            "fields": [[f.name, str(f.type), f.nullable] for f in table.schema],
            "batches": [b.num_rows for b in batches],
            "dictionaries": {"deltas": stats.num_dictionary_deltas, "replaced": stats.num_replaced_dictionaries},
            "columns": {name: [plain(v) for v in table.column(name).to_pylist()] for name in table.column_names},
        }
    )
)
