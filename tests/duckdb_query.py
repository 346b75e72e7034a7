"""Runs one SQL query with DuckDB (a peer reader of the Parquet files etlview writes).

Usage: python3 tests/duckdb_query.py 'SQL'  -> one JSON array per result row on stdout.
Times are shown in UTC whatever the machine's zone.
"""
import json
import sys

import duckdb

con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
for row in con.sql(sys.argv[1]).fetchall():
    print(json.dumps(row, default=str))
