//! Parquet export read back by a peer: DuckDB counts the same events, per provider and under
//! a filter, as etlview does, and reads every time to the microsecond. A folder with a
//! corrupt trace converts the others and exits 2 naming it.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use etlview::timeline::{Timeline, TimelineOptions};

fn etlview(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_etlview"))
        .args(args)
        .output()
        .expect("run etlview")
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

/// Rows of a DuckDB query (each a JSON array), or None when DuckDB's Python package is not
/// installed (then CI fails: .ci/run installs it).
fn duckdb(sql: &str) -> Option<Vec<Vec<serde_json::Value>>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/duckdb_query.py");
    let out = Command::new("python3").arg(script).arg(sql).output().ok()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("No module named") {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but DuckDB is not installed (.ci/run installs it): {err}"
            );
            eprintln!("skipping DuckDB cross-check: {err}");
            return None;
        }
        panic!("DuckDB failed on {sql}: {err}");
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    )
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn number(v: &serde_json::Value) -> i128 {
    text(v)
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {v}"))
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// `etlview export INPUTS --format parquet -o OUT`, which must succeed.
fn convert(inputs: &[PathBuf], out: &Path) {
    let mut args = vec![os("export")];
    args.extend(inputs.iter().map(|p| p.as_os_str()));
    args.extend([os("--format"), os("parquet"), os("-o"), out.as_os_str()]);
    let run = etlview(&args);
    assert!(
        run.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

fn glob(out: &Path) -> String {
    format!("read_parquet('{}/**/*.parquet')", out.display())
}

#[test]
fn duckdb_reads_every_shared_sample_as_etlview_counts_it() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let samples = common::samples(&shared);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    convert(&[shared.join("samples")], &out);
    let Some(rows) = duckdb(&format!(
        "SELECT source_file, provider_key, count(*) FROM {} GROUP BY ALL",
        glob(&out)
    )) else {
        return;
    };
    let mut by_file: BTreeMap<String, BTreeMap<String, i128>> = BTreeMap::new();
    for row in &rows {
        by_file
            .entry(file_name(&text(&row[0])))
            .or_default()
            .insert(text(&row[1]), number(&row[2]));
    }
    assert_eq!(by_file.len(), samples.len(), "one Parquet file per sample");
    for sample in &samples {
        let name = file_name(&sample.display().to_string());
        let info = etlview(&[os("info"), sample.as_os_str(), os("--json")]);
        assert!(info.status.success(), "{name}: info failed");
        let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
        let expected: BTreeMap<String, i128> = info["providers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (text(&p["key"]), p["events"].as_i64().unwrap().into()))
            .collect();
        let got = &by_file[&name];
        assert_eq!(got, &expected, "{name}: rows per provider");
        let total: i128 = got.values().sum();
        assert_eq!(
            total,
            i128::from(info["events"].as_i64().unwrap()),
            "{name}"
        );
    }

    // Every time, to the microsecond: a frame-weighted checksum over all rows, and the first
    // rows' text beside etlview's own rendering of the time.
    let Some(sums) = duckdb(&format!(
        "SELECT source_file, count(*), sum(frame::HUGEINT * epoch_us(time))::VARCHAR \
         FROM {} GROUP BY ALL",
        glob(&out)
    )) else {
        return;
    };
    let Some(firsts) = duckdb(&format!(
        "SELECT source_file, frame, strftime(time, '%Y-%m-%dT%H:%M:%S.%f') FROM {} \
         WHERE frame <= 50",
        glob(&out)
    )) else {
        return;
    };
    for sample in &samples {
        let name = file_name(&sample.display().to_string());
        let session = Timeline::open(sample, TimelineOptions::default()).unwrap();
        let micros =
            |filetime: i64| i128::from((filetime - 116_444_736_000_000_000).div_euclid(10));
        let expected: i128 = session
            .events()
            .map(|e| (e.frame as i128 + 1) * micros(e.filetime))
            .sum();
        let row = sums
            .iter()
            .find(|r| file_name(&text(&r[0])) == name)
            .unwrap();
        assert_eq!(number(&row[1]), session.len() as i128, "{name}");
        assert_eq!(number(&row[2]), expected, "{name}: times");
        for row in firsts.iter().filter(|r| file_name(&text(&r[0])) == name) {
            let frame = number(&row[1]) as usize;
            let shown = session.event(frame - 1).unwrap().time_string();
            // etlview shows 100 ns (7 digits); the column holds whole microseconds (6).
            assert_eq!(text(&row[2]), shown[..26], "{name} frame {frame}");
        }
    }
}

/// The bundled samples of the ARR case (committed in samples/).
fn bundled() -> Vec<PathBuf> {
    let dir = common::workspace_root().join("samples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "etl"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no bundled samples in {}", dir.display());
    v
}

#[test]
fn a_sql_filter_counts_what_the_etlview_filter_counts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let samples = bundled();
    convert(&samples, &out);
    let protocol = "WINHTTP_MicrosoftWindowsWinHttp";
    let Some(rows) = duckdb(&format!(
        "SELECT source_file, count(*) FILTER (WHERE pid = 1432 AND protocol = '{protocol}') \
         FROM {} GROUP BY ALL",
        glob(&out)
    )) else {
        return;
    };
    let mut matched_somewhere = false;
    for sample in &samples {
        let name = file_name(&sample.display().to_string());
        let expr = format!("ProcessId == 1432 AND ProtocolName == \"{protocol}\"");
        let print = etlview(&[
            sample.as_os_str(),
            os("--print"),
            os("--format"),
            os("jsonl"),
            os("-f"),
            os(&expr),
        ]);
        let by_etlview = String::from_utf8_lossy(&print.stdout).lines().count() as i128;
        let row = rows
            .iter()
            .find(|r| file_name(&text(&r[0])) == name)
            .unwrap_or_else(|| panic!("{name} missing from the Parquet files"));
        assert_eq!(number(&row[1]), by_etlview, "{name}");
        matched_somewhere |= by_etlview > 0;
    }
    assert!(matched_somewhere, "the filter matched no bundled sample");
}

/// Rows of one Parquet file, read with the parquet crate.
fn parquet_rows(path: &Path) -> usize {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
    parquet::file::reader::FileReader::metadata(&reader)
        .file_metadata()
        .num_rows() as usize
}

#[test]
fn a_corrupt_trace_is_named_and_skipped_while_the_others_convert() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("fleet");
    std::fs::create_dir(&input).unwrap();
    let good: Vec<PathBuf> = bundled().into_iter().take(2).collect();
    for path in &good {
        std::fs::copy(path, input.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(input.join("broken.etl"), b"this is not an ETW trace at all").unwrap();
    let out = dir.path().join("out");
    let args = [
        os("export"),
        input.as_os_str(),
        os("--format"),
        os("parquet"),
        os("-o"),
        out.as_os_str(),
        os("--computer"),
        os("WEB01"),
    ];
    let run = etlview(&args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("broken.etl"), "{stderr}");
    assert!(stderr.contains("converted 2 of 3 trace(s)"), "{stderr}");
    for path in &good {
        let stem = path.file_stem().unwrap().to_string_lossy();
        let written = out.join("computer=WEB01").join(format!("{stem}.parquet"));
        let session = Timeline::open(path, TimelineOptions::default()).unwrap();
        assert_eq!(
            parquet_rows(&written),
            session.len(),
            "{}",
            written.display()
        );
    }
    assert!(!out.join("computer=WEB01/broken.parquet").exists());

    // Again: the converted ones are skipped, the broken one still fails.
    let again = etlview(&args);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("2 already converted"), "{stderr}");
}
