//! etlview: read Windows ETW trace files (.etl) on any OS.
