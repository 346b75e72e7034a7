//! HTTP/1.1 messages of the ARR story: what the browser sends, what ARR forwards to the
//! content server, the content server's answers and the 502 page IIS returns.

/// The public host name of the site behind ARR.
pub const SITE_HOST: &str = "www.contoso.com";
/// The content server of the ARR server farm.
pub const BACKEND_HOST: &str = "web01.contoso.local";

const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                          (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0";

/// `Date:` header value for a Unix time.
pub fn http_date(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .map(|d| d.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

/// The browser's request as HTTP.sys receives it.
pub fn client_request(path: &str, accept: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\n\
         Host: {SITE_HOST}\r\n\
         Connection: keep-alive\r\n\
         User-Agent: {USER_AGENT}\r\n\
         Accept: {accept}\r\n\
         Referer: http://{SITE_HOST}/orders\r\n\
         Accept-Encoding: gzip, deflate\r\n\
         Accept-Language: en-US,en;q=0.9\r\n\r\n"
    )
}

/// The same request as ARR forwards it (host preserved, proxy headers added).
pub fn backend_request(path: &str, accept: &str, client: &str, log_id: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\n\
         Connection: Keep-Alive\r\n\
         Accept: {accept}\r\n\
         Accept-Encoding: gzip, deflate\r\n\
         Accept-Language: en-US,en;q=0.9\r\n\
         Host: {SITE_HOST}\r\n\
         Max-Forwards: 10\r\n\
         Referer: http://{SITE_HOST}/orders\r\n\
         User-Agent: {USER_AGENT}\r\n\
         X-Original-URL: {path}\r\n\
         X-Forwarded-For: {client}\r\n\
         X-ARR-LOG-ID: {log_id}\r\n\r\n"
    )
}

/// Response headers of the content server.
pub fn backend_response_head(date: &str, content_type: &str, length: usize) -> String {
    format!(
        "HTTP/1.1 200 OK\r\n\
         Cache-Control: private\r\n\
         Content-Type: {content_type}\r\n\
         Server: Microsoft-IIS/10.0\r\n\
         X-AspNet-Version: 4.0.30319\r\n\
         X-Powered-By: ASP.NET\r\n\
         Date: {date}\r\n\
         Content-Length: {length}\r\n\r\n"
    )
}

/// The same response as ARR relays it to the browser.
pub fn relayed_response_head(date: &str, content_type: &str, length: usize) -> String {
    format!(
        "HTTP/1.1 200 OK\r\n\
         Cache-Control: private\r\n\
         Content-Length: {length}\r\n\
         Content-Type: {content_type}\r\n\
         Server: Microsoft-IIS/10.0\r\n\
         X-AspNet-Version: 4.0.30319\r\n\
         X-Powered-By: ASP.NET\r\n\
         X-Powered-By: ARR/3.0\r\n\
         Date: {date}\r\n\r\n"
    )
}

/// A JSON order document of the back-end API.
pub fn order_json(id: u32) -> String {
    format!(
        "{{\"orderId\":{id},\"customer\":{{\"id\":\"C-20931\",\"name\":\"Fabrikam Ltd\"}},\
         \"status\":\"shipped\",\"currency\":\"EUR\",\"lines\":[\
         {{\"sku\":\"TS-1042\",\"description\":\"Toner cartridge, black\",\
         \"quantity\":4,\"price\":61.90}},\
         {{\"sku\":\"PP-5000\",\"description\":\"Copy paper A4, 5 reams\",\
         \"quantity\":10,\"price\":23.50}}],\
         \"total\":482.60,\"shippedAt\":\"2024-03-11T16:05:00Z\"}}"
    )
}

/// A style sheet long enough to need two TCP segments.
pub fn site_css() -> String {
    let mut css = String::from("/* site.css - orders portal */\n");
    let rules = [
        "body{margin:0;font-family:\"Segoe UI\",Tahoma,Arial,sans-serif;color:#222;\
         background:#f7f7f7}",
        "header{background:#0b3d6e;color:#fff;padding:12px 24px;display:flex;align-items:center}",
        "header h1{font-size:20px;font-weight:600;margin:0 24px 0 0}",
        "nav a{color:#cfe3f7;text-decoration:none;margin-right:18px}",
        "nav a:hover,nav a.active{color:#fff;border-bottom:2px solid #4fa3e8}",
        "main{max-width:1100px;margin:24px auto;padding:0 24px}",
        "table.orders{width:100%;border-collapse:collapse;background:#fff}",
        "table.orders th{text-align:left;background:#e9eef3;padding:8px;font-weight:600}",
        "table.orders td{padding:8px;border-top:1px solid #e3e3e3}",
        "table.orders tr:hover td{background:#f3f8fd}",
        ".status-shipped{color:#1e7b34}.status-open{color:#a66300}.status-cancelled{color:#a11}",
        ".toolbar{display:flex;justify-content:space-between;margin-bottom:12px}",
        ".btn{display:inline-block;padding:6px 14px;border-radius:3px;border:1px solid #0b3d6e}",
        ".btn-primary{background:#0b3d6e;color:#fff}.btn-secondary{background:#fff;color:#0b3d6e}",
        "footer{color:#777;font-size:12px;text-align:center;padding:24px}",
    ];
    for round in 0..2 {
        for rule in rules {
            css.push_str(rule);
            css.push('\n');
        }
        if round == 0 {
            css.push_str("@media print{header,nav,.toolbar,footer{display:none}}\n");
        }
    }
    css
}

/// A CSV export: the header line and `rows` order lines.
pub fn orders_csv(rows: usize) -> String {
    let mut csv = String::from("OrderId,Customer,Status,Currency,Total,ShippedAt\n");
    for i in 0..rows {
        let id = 40_000 + i * 7;
        let total = 100 + (i * 37) % 900;
        csv.push_str(&format!(
            "{id},C-{:05},{},EUR,{total}.{:02},2024-03-{:02}T{:02}:{:02}:00Z\n",
            20_000 + (i * 13) % 999,
            ["shipped", "open", "invoiced"][i % 3],
            (i * 11) % 100,
            1 + i % 11,
            8 + i % 10,
            (i * 7) % 60
        ));
    }
    csv
}

/// IIS's answer when ARR gives up on the content server (status 502, substatus 3 is only
/// in the IIS log and in detailed errors; remote clients get this page).
pub fn bad_gateway(date: &str) -> String {
    let body = "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \
                \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n\
                <html xmlns=\"http://www.w3.org/1999/xhtml\">\r\n<head>\r\n\
                <meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"/>\r\n\
                <title>502 - Bad Gateway</title>\r\n\
                <style type=\"text/css\">\r\n\
                body{margin:0;font-size:.7em;font-family:Verdana,Arial,Helvetica,sans-serif;\
                background:#EEEEEE;}\r\n\
                fieldset{padding:0 15px 10px 15px;}\r\n\
                h1{font-size:2.4em;margin:0;color:#FFF;}\r\n\
                h2{font-size:1.7em;margin:0;color:#CC0000;}\r\n\
                h3{font-size:1.2em;margin:10px 0 0 0;color:#000000;}\r\n\
                #header{width:96%;margin:0 0 0 0;padding:6px 2% 6px 2%;\
                font-family:\"trebuchet MS\",Verdana,sans-serif;color:#FFF;\
                background-color:#555555;}\r\n\
                #content{margin:0 0 0 2%;position:relative;}\r\n\
                .content-container{background:#FFF;width:96%;margin-top:8px;padding:10px;\
                position:relative;}\r\n\
                </style>\r\n</head>\r\n<body>\r\n\
                <div id=\"header\"><h1>Server Error</h1></div>\r\n\
                <div id=\"content\">\r\n <div class=\"content-container\"><fieldset>\r\n\
                <h2>502 - Bad Gateway.</h2>\r\n\
                <h3>The proxy in front of this site did not get a usable answer from the \
                server that holds the content. Try again in a few minutes.</h3>\r\n\
                </fieldset></div>\r\n</div>\r\n</body>\r\n</html>\r\n";
    format!(
        "HTTP/1.1 502 Bad Gateway\r\n\
         Content-Type: text/html\r\n\
         Server: Microsoft-IIS/10.0\r\n\
         X-Powered-By: ARR/3.0\r\n\
         X-Powered-By: ASP.NET\r\n\
         Date: {date}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packets::MSS;

    #[test]
    fn date_is_rfc_1123() {
        assert_eq!(http_date(1_710_253_958), "Tue, 12 Mar 2024 14:32:38 GMT");
    }

    #[test]
    fn bad_gateway_fits_one_segment_and_declares_its_length() {
        let response = bad_gateway(&http_date(1_710_253_958));
        assert!(response.len() <= MSS, "{}", response.len());
        assert!(response.len() > 1000);
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 502 Bad Gateway\r\n"));
        assert!(head.ends_with(&format!("Content-Length: {}", body.len())));
    }

    #[test]
    fn css_needs_two_segments_and_csv_is_large() {
        let css = site_css().len();
        assert!(css > MSS && css < 2 * MSS, "{css}");
        assert!(orders_csv(900).len() > 40_000);
    }

    #[test]
    fn forwarded_request_keeps_the_host_and_names_the_client() {
        let r = backend_request("/a", "*/*", "192.168.20.40:50812", "x");
        assert!(r.starts_with("GET /a HTTP/1.1\r\n"));
        assert!(r.contains("\r\nHost: www.contoso.com\r\n"));
        assert!(r.contains("\r\nX-Forwarded-For: 192.168.20.40:50812\r\n"));
        assert!(r.ends_with("\r\n\r\n"));
    }
}
