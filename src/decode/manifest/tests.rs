use super::*;

#[test]
fn placeholder() {
    let (registry, report) = SchemaRegistry::builtin_with_report();
    assert!(report.skipped_files.is_empty());
    let _ = registry;
}
