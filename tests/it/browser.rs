//! The lesson page in a real browser: Debian's Chromium, headless, driven through
//! chromedriver's WebDriver HTTP interface (a small client over `std::net`, below). For the
//! nat tour, the page loads with no console error; the DOM has the scenario's nodes and links
//! and a list entry for each hop of the selected probe; stepping forward and back moves the
//! highlighted hop and node; a NAT hop shows the rewritten field and a dropped probe its
//! reason in red; and a screenshot is taken (into the target directory, and into
//! `docs/visualizer.png` when `HNSIM_UPDATE_SCREENSHOT=1`).
//!
//! Without Chromium and chromedriver the test says so and passes, unless
//! `HNSIM_REQUIRE_BROWSER=1` (as `.ci/run` sets), which makes their absence a failure.
//! `HNSIM_CHROMIUM` and `HNSIM_CHROMEDRIVER` name other binaries.

use crate::common::{load_relative, repo_root};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary `env` names, if it does; else the first of `candidates` that exists as a file,
/// or is found on `PATH`.
fn find_binary(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for c in candidates {
        let p = Path::new(c);
        if p.is_absolute() && p.is_file() {
            return Some(p.to_path_buf());
        }
        if let Some(found) = std::env::split_paths(&path)
            .map(|d| d.join(c))
            .find(|f| f.is_file())
        {
            return Some(found);
        }
    }
    None
}

/// One request to chromedriver; its JSON answer's `value`, or the error it reported.
fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(90)))
        .map_err(|e| e.to_string())?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .map_err(|e| format!("send {method} {path}: {e}"))?;
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader
        .read_line(&mut status)
        .map_err(|e| format!("read {method} {path}: {e}"))?;
    let mut length = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v.trim().parse::<usize>().ok();
            }
        }
    }
    let mut bytes = Vec::new();
    match length {
        Some(n) => {
            bytes.resize(n, 0);
            reader.read_exact(&mut bytes).map_err(|e| e.to_string())?;
        }
        None => {
            reader.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        }
    }
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{method} {path}: {e}: {}", String::from_utf8_lossy(&bytes)))?;
    if !status.contains(" 200 ") {
        return Err(format!("{method} {path}: {} {}", status.trim(), v));
    }
    Ok(v["value"].clone())
}

/// A chromedriver we started, with one browser session; both end when it is dropped.
struct Browser {
    driver: Child,
    port: u16,
    session: String,
}

impl Browser {
    fn start(chromium: &Path, chromedriver: &Path, profile: &Path) -> Browser {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut b = Browser {
            driver,
            port,
            session: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while request(port, "GET", "/status", None)
            .map(|v| v["ready"] != true)
            .unwrap_or(true)
        {
            assert!(
                Instant::now() < deadline,
                "chromedriver is not ready after 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--hide-scrollbars",
                         "--window-size=1600,1400",
                         format!("--user-data-dir={}", profile.display())]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        }}});
        let v = request(port, "POST", "/session", Some(&caps)).expect("a browser session");
        b.session = v["sessionId"].as_str().expect("a session id").to_string();
        b
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        request(self.port, method, &path, body.as_ref()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `script` in the page and returns what it returns.
    fn eval(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn click(&self, css: &str) {
        let e = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        let id = e
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {e}"))
            .to_string();
        self.call("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    /// The browser's log entries at level SEVERE (console errors, uncaught exceptions,
    /// failed loads) since the last call.
    fn errors(&self) -> Vec<String> {
        let log = self.call("POST", "/se/log", Some(json!({"type": "browser"})));
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The highlighted hop (its index) and node (its name).
    fn current(&self) -> (i64, String) {
        let v = self.eval(
            "var li = document.querySelector('#hops li.current');\
             var g = document.querySelectorAll('g.node.current');\
             return [li ? Number(li.getAttribute('data-hop')) : -1,\
                     g.length === 1 ? g[0].getAttribute('data-node') : g.length + ' nodes'];",
        );
        (
            v[0].as_i64().unwrap_or(-1),
            v[1].as_str().unwrap_or_default().to_string(),
        )
    }

    fn screenshot(&self) -> Vec<u8> {
        let v = self.call("GET", "/screenshot", None);
        base64_decode(v.as_str().expect("a base64 PNG"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = request(self.port, "DELETE", &path, None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(value) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(base64_decode("aG5zaW0="), b"hnsim");
    assert_eq!(base64_decode("AAEC/w=="), [0, 1, 2, 255]);
}

#[test]
fn the_lesson_page_works_in_chromium() {
    let required = std::env::var("HNSIM_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let chromium = find_binary(
        "HNSIM_CHROMIUM",
        &["/usr/bin/chromium", "chromium", "chromium-browser"],
    );
    let chromedriver = find_binary(
        "HNSIM_CHROMEDRIVER",
        &["/usr/bin/chromedriver", "chromedriver"],
    );
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        assert!(
            !required,
            "HNSIM_REQUIRE_BROWSER=1 but Chromium or chromedriver is missing \
             (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "SKIPPED the_lesson_page_works_in_chromium: Chromium or chromedriver is not installed \
             (apt-get install chromium chromium-driver; HNSIM_REQUIRE_BROWSER=1 makes this a failure)"
        );
        return;
    };

    let lesson = visualizer::record(&load_relative("scenarios/nat-tour.ron"));
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory for the page");
    let page = dir.join("lesson.html");
    std::fs::write(&page, visualizer::page(&lesson)).expect("write the page");

    let b = Browser::start(&chromium, &chromedriver, &dir.join("profile"));
    b.call(
        "POST",
        "/url",
        Some(json!({"url": format!("file://{}", page.display())})),
    );
    assert_eq!(b.eval("return document.readyState;"), "complete");
    assert_eq!(b.errors(), Vec::<String>::new(), "console errors on load");

    // The topology: every node and link of the lesson, by name.
    let names = |css: &str, attr: &str| -> Vec<String> {
        let v = b.eval(&format!(
            "return Array.from(document.querySelectorAll('{css}')).map(e => e.getAttribute('{attr}'));"
        ));
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    };
    let nodes = names("g.node", "data-node");
    let want: Vec<String> = lesson.nodes.iter().map(|n| n.name.clone()).collect();
    assert_eq!(nodes, want);
    for n in [
        "lan",
        "edge",
        "internet",
        "laptop",
        "host1",
        "host1/vSwitch(nat)",
        "host1/web",
        "host1/client",
        "host1/vm",
    ] {
        assert!(nodes.iter().any(|x| x == n), "node {n} in {nodes:?}");
    }
    let links = names("line.link", "data-link");
    let want: Vec<String> = lesson.links.iter().map(|l| l.name.clone()).collect();
    assert_eq!(links, want);
    for l in [
        "host1.Ethernet<->lan",
        "laptop.eth0<->lan",
        "edge.lan0<->lan",
        "edge.wan0<->internet.eth0",
    ] {
        assert!(links.iter().any(|x| x == l), "link {l} in {links:?}");
    }
    assert_eq!(names("g.host", "data-host"), ["host1"]);
    assert_eq!(
        b.eval("return document.querySelectorAll('#probe-list li').length;"),
        lesson.probes.len()
    );

    // The first probe is shown: one entry per hop, the first one highlighted.
    let hops = |b: &Browser| b.eval("return document.querySelectorAll('#hops li.hop').length;");
    assert_eq!(hops(&b), lesson.probes[0].hops.len());
    let first = &lesson.probes[0].hops;
    assert_eq!(b.current(), (0, first[0].node_name.clone()));

    // Stepping forward moves the highlight hop by hop, onto the next node; back returns.
    let to_next_node = first
        .iter()
        .position(|h| h.node_name != first[0].node_name)
        .expect("the probe leaves its first node");
    for (k, hop) in first.iter().enumerate().take(to_next_node + 1).skip(1) {
        b.click("#step-forward");
        assert_eq!(b.current(), (k as i64, hop.node_name.clone()));
    }
    let link_lit = b.eval(
        "var l = document.querySelector('line.link.current'); return l ? l.getAttribute('data-link') : null;",
    );
    let came = first[to_next_node]
        .came
        .as_ref()
        .expect("it came over a link");
    let link = lesson
        .links
        .iter()
        .find(|l| l.id == came.link)
        .expect("a link");
    assert_eq!(link_lit, link.name.as_str());
    b.click("#step-back");
    assert_eq!(
        b.current(),
        (
            (to_next_node - 1) as i64,
            first[to_next_node - 1].node_name.clone()
        )
    );

    // A dropped probe: the hop that dropped it is red, with its reason.
    let dropped = lesson
        .probes
        .iter()
        .position(|p| p.outcome == "dropped")
        .expect("the tour drops one probe");
    b.click(&format!("#probe-list li:nth-child({}) button", dropped + 1));
    assert_eq!(hops(&b), lesson.probes[dropped].hops.len());
    let at = lesson.probes[dropped]
        .hops
        .iter()
        .position(|h| h.kind == "dropped")
        .expect("the hop that dropped it");
    b.click(&format!("#hops li[data-hop=\"{at}\"]"));
    let red = b.eval(
        "return [document.querySelectorAll('g.node.current.dropped').length,\
                 document.querySelector('#hops li.current').classList.contains('dropped'),\
                 (document.querySelector('#hop-detail .dropped') || {}).textContent || ''];",
    );
    assert_eq!(red[0], 1, "{red}");
    assert_eq!(red[1], true, "{red}");
    let reason = lesson.probes[dropped].hops[at]
        .dropped
        .clone()
        .expect("a reason");
    assert_eq!(red[2], format!("Dropped: {reason}"));

    // client -> internet, at WinNAT's hop: the source address is shown rewritten.
    b.click("#probe-list li:nth-child(2) button");
    let nat = lesson.probes[1]
        .hops
        .iter()
        .position(|h| h.kind == "nat")
        .expect("a NAT hop");
    for _ in 0..nat {
        b.click("#step-forward");
    }
    assert_eq!(b.current(), (nat as i64, "host1".to_string()));
    let rewritten = b.eval(
        "return Array.from(document.querySelectorAll('#hop-detail .layer[data-layer=\"IPv4\"] tr.changed'))\
         .map(tr => tr.querySelector('th').textContent + ' ' + tr.querySelector('.value').textContent\
              + ' was ' + tr.querySelector('del').textContent);",
    );
    let rewritten = rewritten.as_array().cloned().unwrap_or_default();
    assert!(
        rewritten.iter().any(|r| r
            .as_str()
            .is_some_and(|r| r.starts_with("src 10.0.0.11 was 172."))),
        "{rewritten:?}"
    );

    assert_eq!(
        b.errors(),
        Vec::<String>::new(),
        "console errors while stepping"
    );
    // The screenshot shows the page from its top, with the packet where it rests.
    let deadline = Instant::now() + Duration::from_secs(5);
    let moving =
        "return window.scrollY + document.getElementById('packet').getAnimations().length;";
    while b.eval(moving) != 0 {
        assert!(Instant::now() < deadline, "the page keeps moving");
        std::thread::sleep(Duration::from_millis(50));
    }
    let png = b.screenshot();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let size = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    let viewport = b.eval("return [window.innerWidth, window.innerHeight];");
    assert_eq!(
        json!([size(16), size(20)]),
        viewport,
        "the screenshot is the page's viewport"
    );
    std::fs::write(dir.join("visualizer.png"), &png).expect("write the screenshot");
    if std::env::var("HNSIM_UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        std::fs::write(repo_root().join("docs/visualizer.png"), &png)
            .expect("write docs/visualizer.png");
    }

    // A link opens the page at a probe and hop.
    let url = format!("file://{}#probe=2&hop={}", page.display(), nat + 1);
    b.call("POST", "/url", Some(json!({ "url": url })));
    assert_eq!(b.current(), (nat as i64, "host1".to_string()));
    assert_eq!(
        b.errors(),
        Vec::<String>::new(),
        "console errors after a link"
    );
    drop(b);
    let _ = std::fs::remove_dir_all(dir.join("profile"));
}
