"""dissect.etl (the Python ETL reader) decoding every event of the given files, written as
one JSON object per event to /dev/null: the peer of `etlview FILE --print --format jsonl` in
the pipeline bench. Prints how many records it read.

Usage: python3 benches/dissect_decode.py FILE...
"""
import json
import sys

from dissect.etl import ETL

records = 0
with open("/dev/null", "w") as sink:
    for path in sys.argv[1:]:
        with open(path, "rb") as fh:
            for record in ETL(fh):
                records += 1
                try:
                    event = record.event
                    row = {
                        "ts": str(event.ts()),
                        "provider": str(event.provider_id()),
                        "name": event.provider_name(),
                        "values": event.event_values(),
                    }
                except Exception as e:  # dissect gives up on some payloads; count them anyway
                    row = {"error": str(e)}
                sink.write(json.dumps(row, default=str))
                sink.write("\n")
print(records)
