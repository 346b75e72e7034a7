//! The names a filter may use in this timeline besides the registry's fields: payload field
//! names of the schemas its sources use and provider/protocol names (built on first use).

use std::collections::BTreeSet;

use super::Timeline;

/// Names the compiler accepts besides the builtin fields.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Lower-case payload field names present in the trace's schemas.
    pub payload_fields: BTreeSet<String>,
    /// Lower-case provider names, protocol names and well-known protocol words.
    pub providers: BTreeSet<String>,
    /// As shown, for suggestions.
    pub display_names: Vec<String>,
}

impl Timeline {
    /// Payload field and provider names present in this trace, for the filter compiler.
    pub fn catalog(&self) -> &Catalog {
        self.catalog.get_or_init(|| {
            let mut catalog = Catalog::default();
            for source in &self.sources {
                let mut seen = std::collections::HashSet::new();
                for e in source.trace.events() {
                    let h = &e.header;
                    let key = (h.provider, h.id, h.version, h.opcode, h.kind);
                    let tracelogging = h.extended.1 > h.extended.0;
                    if !seen.insert(key) && !tracelogging {
                        continue;
                    }
                    if let Some(name) = source.decoder.provider_name(&e) {
                        let lower = name.to_lowercase();
                        if catalog.providers.insert(lower) {
                            catalog.display_names.push(name.to_string());
                            let protocol = self.protocol_name(&name);
                            catalog.providers.insert(protocol.to_lowercase());
                            catalog.display_names.push(protocol);
                        }
                    }
                    if let Some(g) = h.provider_guid() {
                        catalog.providers.insert(g.to_string());
                    }
                    if let Some((schema, _)) = source.decoder.schema_for(&e) {
                        collect_field_names(&schema.fields, &mut catalog);
                    }
                }
            }
            catalog
        })
    }
}

fn collect_field_names(fields: &[decode::schema::FieldDef], catalog: &mut Catalog) {
    for f in fields {
        let lower = f.name.to_lowercase();
        if catalog.payload_fields.insert(lower) {
            catalog.display_names.push(f.name.clone());
        }
        collect_field_names(&f.members, catalog);
    }
}
