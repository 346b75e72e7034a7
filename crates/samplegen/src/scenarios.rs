//! The four ARR stories of the 502.3 troubleshooting article, plus the healthy baseline.

use super::arr::{Arr, ClientConnection, ClientRequest};
use super::http_text::{
    bad_gateway, http_date, order_json, orders_csv, relayed_response_head, site_css,
};
use super::netsh::{Built, Layout};
use super::proxy::{Outcome, Plan};
use etl::writer::RecordTooLarge;

/// Windows Server 2019 VM with four virtual processors; a merged (relogged) NetTrace.etl.
const SAMPLE_LAYOUT: Layout = Layout {
    processors: 4,
    merged: true,
};
const JSON: &str = "application/json; charset=utf-8";
const ACCEPT_JSON: &str = "application/json, text/plain, */*";

/// Sends the browser what ARR got: the relayed response or IIS's 502 page.
/// `split_at` cuts the first frame of the response into two capture fragments.
fn answer(
    arr: &mut Arr,
    conn: &mut ClientConnection,
    request: &ClientRequest,
    outcome: Outcome,
    split_at: Option<usize>,
) {
    arr.idle(0.2);
    let date = http_date(arr.trace.unix_seconds());
    match outcome {
        Outcome::Relayed { content_type, body } => {
            let response = relayed_response_head(&date, content_type, body.len()) + &body;
            arr.respond(conn, request, 200, &response, split_at);
        }
        Outcome::Failed => arr.respond(conn, request, 502, &bad_gateway(&date), split_at),
    }
}

/// The order lookup every story starts with (or, offline, tries).
fn order_lookup(arr: &mut Arr, conn: &mut ClientConnection) {
    let request = arr.receive_request(conn, "/api/orders/1234", ACCEPT_JSON);
    let outcome = arr.proxy(
        &request,
        Plan::Answer {
            delay_ms: 38.0,
            content_type: JSON,
            body: order_json(1234),
        },
    );
    answer(arr, conn, &request, outcome, None);
}

pub fn arr_healthy() -> Result<Built, RecordTooLarge> {
    let mut arr = Arr::new(SAMPLE_LAYOUT);
    arr.start_session();
    arr.idle(1900.0);
    let mut conn = arr.accept_client();
    order_lookup(&mut arr, &mut conn);
    arr.idle(420.0);
    let request = arr.receive_request(&mut conn, "/css/site.css", "text/css,*/*;q=0.1");
    let outcome = arr.proxy(
        &request,
        Plan::Answer {
            delay_ms: 6.0,
            content_type: "text/css",
            body: site_css(),
        },
    );
    answer(&mut arr, &mut conn, &request, outcome, Some(700));
    arr.idle(2600.0);
    arr.client_closes(&mut conn);
    arr.idle(1500.0);
    arr.trace.finish()
}

pub fn arr_502_timeout() -> Result<Built, RecordTooLarge> {
    let mut arr = Arr::new(SAMPLE_LAYOUT);
    arr.start_session();
    arr.idle(1600.0);
    let mut conn = arr.accept_client();
    order_lookup(&mut arr, &mut conn);
    arr.idle(800.0);
    let request = arr.receive_request(&mut conn, "/api/reports/monthly?year=2024", ACCEPT_JSON);
    let outcome = arr.proxy(
        &request,
        Plan::Timeout {
            answer_after_ms: 45_000.0,
            body: "{\"report\":\"monthly\",\"year\":2024,\"rows\":[]}".to_string(),
        },
    );
    answer(&mut arr, &mut conn, &request, outcome, Some(600));
    arr.idle(16_000.0);
    arr.client_closes(&mut conn);
    arr.idle(1200.0);
    arr.trace.finish()
}

pub fn arr_502_reset() -> Result<Built, RecordTooLarge> {
    let mut arr = Arr::new(SAMPLE_LAYOUT);
    arr.start_session();
    arr.idle(1700.0);
    let mut conn = arr.accept_client();
    order_lookup(&mut arr, &mut conn);
    arr.idle(650.0);
    let request = arr.receive_request(&mut conn, "/api/export/orders.csv", "text/csv,*/*");
    let outcome = arr.proxy(
        &request,
        Plan::ResetMidBody {
            delay_ms: 180.0,
            content_type: "text/csv",
            body: orders_csv(900),
            delivered: 3900,
        },
    );
    answer(&mut arr, &mut conn, &request, outcome, Some(600));
    arr.idle(2200.0);
    arr.client_closes(&mut conn);
    arr.idle(1300.0);
    arr.trace.finish()
}

pub fn arr_502_offline() -> Result<Built, RecordTooLarge> {
    let mut arr = Arr::new(SAMPLE_LAYOUT);
    arr.start_session();
    arr.idle(1400.0);
    let mut conn = arr.accept_client();
    let request = arr.receive_request(&mut conn, "/api/orders/1234", ACCEPT_JSON);
    let outcome = arr.proxy(&request, Plan::Offline);
    answer(&mut arr, &mut conn, &request, outcome, Some(600));
    arr.idle(2500.0);
    arr.client_closes(&mut conn);
    arr.idle(1100.0);
    arr.trace.finish()
}
