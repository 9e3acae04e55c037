//! Credentials go only to Alpaca (or loopback): the data URL guard, redirects, URL userinfo.

use aurora::sim::state::FaultAction;

use super::Foreign;
use crate::common::{MONDAY_0730_CT, World};

/// Every proxy variable reqwest honours, pointing at `proxy`: a request for any foreign host,
/// had one been sent, would arrive there.
fn via_proxy(run: crate::common::Run, proxy: &Foreign) -> crate::common::Run {
    let mut run = run;
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
    ] {
        run = run.env(var, &proxy.url());
    }
    run
}

#[test]
fn a_foreign_data_url_is_refused_before_any_request() {
    let w = World::at(MONDAY_0730_CT);
    let proxy = Foreign::start();
    for url in ["http://evil.example", "https://evil.example"] {
        for args in [&["fetch"][..], &["preflight"], &["trade"], &["status"]] {
            via_proxy(w.aurora(args), &proxy)
                .env("APCA_API_DATA_URL", url)
                .run()
                .code(3)
                .stderr_has(&format!("refusing to send the keys to {url}/"))
                .stderr_has("--live and AURORA_LIVE=1");
        }
    }
    proxy.assert_untouched();
    assert_eq!(w.requests(), vec![], "the fake saw a request");
}

#[test]
fn even_with_the_live_opt_in_keys_never_travel_in_cleartext() {
    let w = World::at(MONDAY_0730_CT);
    let proxy = Foreign::start();
    via_proxy(w.aurora(&["--live", "fetch"]), &proxy)
        .env("AURORA_LIVE", "1")
        .env("APCA_API_DATA_URL", "http://data.example")
        .run()
        .code(3)
        .stderr_has("refusing to send the keys over plain http to http://data.example/");
    via_proxy(w.aurora(&["--live", "status"]), &proxy)
        .env("AURORA_LIVE", "1")
        .env("APCA_API_BASE_URL", "http://api.alpaca.markets")
        .run()
        .code(3)
        .stderr_has("(APCA_API_BASE_URL)");
    proxy.assert_untouched();
}

#[test]
fn a_307_on_an_order_is_not_followed_and_names_the_location() {
    let w = World::at("2026-11-30T14:00:00Z");
    w.write_config("[strategy]\nname = \"fixed\"\nweights = { SPY = 0.2 }\n");
    let elsewhere = Foreign::start();
    let location = format!("{}/v2/orders", elsewhere.url());
    w.fault(
        "POST",
        "/v2/orders",
        10,
        FaultAction::Redirect {
            status: 307,
            location: location.clone(),
        },
    );
    let done = w.aurora(&["trade"]).run().code(1);
    elsewhere.assert_untouched();
    let text = format!("{}{}", done.stdout, done.stderr);
    assert!(
        text.contains(&format!("redirected (HTTP 307) to {location}")),
        "{text}"
    );
    assert!(w.sim.orders().is_empty(), "no order was placed");
}

#[test]
fn a_redirect_on_a_read_is_an_error_naming_the_location_without_credentials() {
    let w = World::at(MONDAY_0730_CT);
    let elsewhere = Foreign::start();
    let location = elsewhere
        .url()
        .replace("http://", "http://operator:hunter2@");
    w.fault(
        "GET",
        "/v2/account",
        10,
        FaultAction::Redirect {
            status: 302,
            location: format!("{location}/v2/account"),
        },
    );
    let done = w
        .aurora(&["preflight"])
        .run()
        .code(1)
        .stderr_has("redirected (HTTP 302) to http://***@127.0.0.1:")
        .stderr_has("Aurora follows no redirect");
    assert!(!done.stderr.contains("hunter2"), "{}", done.stderr);
    assert_eq!(w.requests_to("/v2/account").len(), 1, "not retried");
    elsewhere.assert_untouched();
}

#[test]
fn userinfo_in_a_url_is_refused_and_never_echoed() {
    let w = World::at(MONDAY_0730_CT);
    let with_password = w.base().replace("http://", "http://operator:hunter2@");
    for var in ["APCA_API_BASE_URL", "APCA_API_DATA_URL", "BROKER_ENDPOINT"] {
        let mut run = w.aurora(&["preflight", "--json"]).env(var, &with_password);
        if var == "BROKER_ENDPOINT" {
            run = run.env_remove("APCA_API_BASE_URL");
        }
        let done = run
            .run()
            .code(2)
            .stderr_has(&format!("{var} is not a valid URL"))
            .stderr_has("http://***@127.0.0.1:");
        for text in [&done.stdout, &done.stderr] {
            assert!(!text.contains("hunter2"), "{var}: {text}");
        }
    }
    assert_eq!(w.requests(), vec![]);
    assert!(
        !w.state_dir().join("aurora.db").exists(),
        "nothing recorded in the preflights table"
    );
}
