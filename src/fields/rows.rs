//! Output rows of events: the header fields plus everything decoding adds.

use super::row::{DecodedPart, EventRow, RowFields};
use crate::timeline::{Timeline, trace_text_of};
use decode::DecodedEvent;
use etl::{Event, ProviderId};

impl Timeline {
    /// The output row of an event (header fields plus everything decoding adds).
    pub fn row(&self, frame: usize) -> Option<EventRow> {
        self.event(frame).map(|e| self.row_of(&e))
    }

    pub fn row_of(&self, e: &Event) -> EventRow {
        let decoded = self.decode(e);
        self.row_with(e, &decoded)
    }

    /// The output row of an already decoded event.
    pub fn row_with(&self, e: &Event, d: &DecodedEvent) -> EventRow {
        let mut row = self.row_decoded(e, d);
        // Captured frames show their top protocol and a one-line summary, as Network Monitor did.
        if matches!(e.header.provider, ProviderId::Guid(g) if g == crate::packet::NDIS_PROVIDER || g == crate::packet::PKTMON_PROVIDER)
            && let Some(frame) = crate::packet::frame_of(self, e)
        {
            let summary = crate::packet::summarize(&frame);
            row.decoded.protocol = Some(summary.protocol);
            row.decoded.message = Some(summary.text);
        }
        row
    }

    fn row_decoded(&self, e: &Event, d: &DecodedEvent) -> EventRow {
        let mut row = EventRow::from_event(e);
        if self.sources().len() > 1 {
            row.source = Some(self.source_arc(e));
        }
        let fields = RowFields(
            d.fields()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect(),
        );
        row.decoded = DecodedPart {
            protocol: d.provider_name.as_deref().map(|n| self.protocol_name(n)),
            provider_name: d.provider_name.clone(),
            event_name: d.event_name.clone(),
            process: self.ut_process_name(e),
            // WinHTTP/WebIO trace-text events: the text is the message, as Network Monitor shows it.
            message: d
                .message()
                .map(str::to_string)
                .or_else(|| trace_text_of(d).map(str::to_string)),
            fields: (!fields.is_empty()).then_some(fields),
            decoded_by: Some(d.decoded_by.name()),
            decode_error: d.error.clone(),
        };
        row
    }
}
