"""Counts the records of an .etl file with the Python reader dissect.etl (a peer implementation).

Usage: python3 tests/dissect_count.py FILE  -> prints the number of records.
"""
import sys

from dissect.etl import ETL

with open(sys.argv[1], "rb") as f:
    print(sum(1 for _ in ETL(f)))
