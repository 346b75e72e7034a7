//! A large synthetic trace for benchmarks: the healthy ARR story, repeated.

use super::arr::Arr;
use super::http_text::{http_date, order_json, orders_csv, relayed_response_head, site_css};
use super::netsh::Layout;
use super::proxy::{Outcome, Plan};
use etl::writer::RecordTooLarge;

/// Paths the simulated browsers ask for.
const PATHS: [&str; 4] = [
    "/api/orders/1234",
    "/api/orders/1235",
    "/css/site.css",
    "/api/orders/search?status=open",
];
/// Requests per browser connection.
const REQUESTS_PER_CONNECTION: u32 = 8;

/// Exactly `events` records (at least the header and the session start).
pub fn build(events: usize) -> Result<Vec<u8>, RecordTooLarge> {
    let mut arr = Arr::new(Layout {
        processors: 4,
        merged: false,
    });
    arr.trace.set_limit(events);
    arr.start_session();
    let mut served = 0u32;
    while !arr.trace.is_full() {
        arr.idle(140.0);
        let mut conn = arr.accept_client();
        for _ in 0..REQUESTS_PER_CONNECTION {
            if arr.trace.is_full() {
                break;
            }
            served = served.wrapping_add(1);
            let path = PATHS[served as usize % PATHS.len()];
            let request = arr.receive_request(&mut conn, path, "*/*");
            let plan = if path.ends_with(".css") {
                Plan::Answer {
                    delay_ms: 4.0,
                    content_type: "text/css",
                    body: site_css(),
                }
            } else if served.is_multiple_of(997) {
                Plan::ResetMidBody {
                    delay_ms: 120.0,
                    content_type: "text/csv",
                    body: orders_csv(200),
                    delivered: 2000,
                }
            } else {
                Plan::Answer {
                    delay_ms: 25.0 + f64::from(served % 40),
                    content_type: "application/json; charset=utf-8",
                    body: order_json(1234 + served % 100),
                }
            };
            let outcome = arr.proxy(&request, plan);
            arr.idle(0.2);
            let date = http_date(arr.trace.unix_seconds());
            let (status, response) = match outcome {
                Outcome::Relayed { content_type, body } => (
                    200,
                    relayed_response_head(&date, content_type, body.len()) + &body,
                ),
                Outcome::Failed => (502, super::http_text::bad_gateway(&date)),
            };
            arr.respond(&mut conn, &request, status, &response, None);
            arr.idle(35.0);
        }
        arr.client_closes(&mut conn);
    }
    arr.trace.finish().map(|built| built.bytes)
}
