//! The Engine API's status comes from the kind of the daemon's refusal (moby's `errdefs`
//! type), never from its words: one test per kind reached through the socket, each naming
//! the moby type that gives it. The statuses the real 20.10.24 answered are checked case by
//! case in `oracle::every_recorded_api_status_is_the_refusals_kind`.

use crate::common::one_linux_host as linux;
use sim_core::docker::api::{Request, Response};
use sim_core::docker::errdefs::ErrorKind;
use sim_core::sim::World;

fn send(w: &mut World, method: &str, path: &str, body: Option<&str>) -> Response {
    let req = Request {
        method: method.into(),
        path: format!("/v1.41{path}"),
        content_type: body.map(|_| "application/json".into()),
        body: body.map(str::to_string),
    };
    w.engine_api("host", &req).expect("the daemon is running")
}

/// A refusal's status and message.
fn refused(r: Response) -> (u16, String) {
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("a JSON error body");
    (
        r.status,
        v["message"].as_str().expect("a message").to_string(),
    )
}

fn docker(w: &mut World, line: &str) {
    let out = w.docker("host", line);
    assert_eq!(out.error, None, "{line}");
}

#[test]
fn a_missing_network_container_or_driver_is_not_found_404() {
    let mut w = linux("V20_10");
    // The router's `findUniqueNetwork`: `errdefs.NotFound(ErrNoSuchNetwork)`.
    let r = send(&mut w, "DELETE", "/networks/n9", None);
    assert_eq!(refused(r), (404, "network n9 not found".into()));
    let connect = r#"{"Container":"ghost"}"#;
    let r = send(&mut w, "POST", "/networks/n9/connect", Some(connect));
    assert_eq!(refused(r), (404, "network n9 not found".into()));
    // The daemon's `containerNotFound`.
    docker(&mut w, "docker network create n1");
    let r = send(&mut w, "POST", "/networks/n1/connect", Some(connect));
    assert_eq!(refused(r), (404, "No such container: ghost".into()));
    // The plugin store's `errNotFound`.
    let r = send(
        &mut w,
        "POST",
        "/networks/create",
        Some(r#"{"Name":"x1","Driver":"weave"}"#),
    );
    assert_eq!(refused(r), (404, "plugin \"weave\" not found".into()));
}

#[test]
fn a_name_in_use_is_a_conflict_409() {
    let mut w = linux("V20_10");
    docker(&mut w, "docker network create n1");
    // The router's `nameConflict`: `errdefs.Conflict(NetworkNameError)`.
    let r = send(
        &mut w,
        "POST",
        "/networks/create",
        Some(r#"{"Name":"n1","CheckDuplicate":true}"#),
    );
    assert_eq!(
        refused(r),
        (409, "network with name n1 already exists".into())
    );
}

#[test]
fn predefined_networks_and_drivers_are_forbidden_403() {
    let mut w = linux("V20_10");
    // `PredefinedNetworkError` (note the trailing space).
    let r = send(
        &mut w,
        "POST",
        "/networks/create",
        Some(r#"{"Name":"host","CheckDuplicate":true}"#),
    );
    assert_eq!(
        refused(r),
        (
            403,
            "operation is not permitted on predefined host network ".into()
        )
    );
    // `deleteNetwork`'s `errdefs.Forbidden`.
    let r = send(&mut w, "DELETE", "/networks/bridge", None);
    assert_eq!(
        refused(r),
        (
            403,
            "bridge is a pre-defined network and cannot be removed".into()
        )
    );
    // The host driver's `types.ForbiddenErrorf`.
    let r = send(
        &mut w,
        "POST",
        "/networks/create",
        Some(r#"{"Name":"h2","Driver":"host"}"#),
    );
    assert_eq!(
        refused(r),
        (
            403,
            "only one instance of \"host\" network is allowed".into()
        )
    );
}

#[test]
fn an_invalid_endpoint_or_network_config_is_an_invalid_parameter_400() {
    let mut w = linux("V20_10");
    docker(&mut w, "docker network create n1");
    docker(
        &mut w,
        "docker create --name c1 --network n1 oracle/busybox sleep 3600",
    );
    // runconfig's `ErrUnsupportedNetworkAndIP`, a `validationError`.
    let r = send(
        &mut w,
        "POST",
        "/networks/bridge/connect",
        Some(r#"{"Container":"c1","EndpointConfig":{"IPAMConfig":{"IPv4Address":"172.17.0.9"}}}"#),
    );
    assert_eq!(
        refused(r),
        (
            400,
            "user specified IP address is supported on user defined networks only".into()
        )
    );
    // From v25 the daemon's `ValidateIPAM` is `errdefs.InvalidParameter`.
    let mut w = linux("V29");
    let r = send(
        &mut w,
        "POST",
        "/networks/create",
        Some(r#"{"Name":"x1","IPAM":{"Config":[{"Subnet":"10.99.1.5/24"}]}}"#),
    );
    assert_eq!(
        refused(r),
        (
            400,
            "invalid network config:\ninvalid subnet 10.99.1.5/24: it should be 10.99.1.0/24"
                .into()
        )
    );
}

#[test]
fn a_bad_request_of_libnetwork_is_untyped_up_to_v24_and_an_invalid_parameter_after() {
    // The bridge driver's `parseErr`: `types.BadRequestErrorf` in 20.10 (no errdefs
    // method, so 500), `types.InvalidParameterErrorf` from v25.
    let body = r#"{"Name":"x1","Options":{"com.docker.network.driver.mtu":"big"}}"#;
    let mut w = linux("V20_10");
    assert_eq!(
        send(&mut w, "POST", "/networks/create", Some(body)).status,
        500
    );
    let mut w = linux("V29");
    assert_eq!(
        send(&mut w, "POST", "/networks/create", Some(body)).status,
        400
    );
}

#[test]
fn an_untyped_error_is_500() {
    let mut w = linux("V20_10");
    docker(&mut w, "docker network create n1");
    docker(&mut w, "docker create --name c1 oracle/busybox sleep 3600");
    // The daemon's `fmt.Errorf("container %s is not connected to the network %s")`.
    let r = send(
        &mut w,
        "POST",
        "/networks/n1/disconnect",
        Some(r#"{"Container":"c1"}"#),
    );
    let (status, message) = refused(r);
    assert_eq!(status, 500);
    assert!(
        message.ends_with("is not connected to the network n1"),
        "{message}"
    );
}

#[test]
fn swarm_state_refusals_are_unavailable() {
    // No swarm request goes through hnsim's API; the CLI's command carries the kind.
    let mut w = linux("V20_10");
    let out = w.docker("host", "docker swarm leave");
    assert_eq!(
        out.error.as_deref(),
        Some("Error response from daemon: This node is not part of a swarm")
    );
    assert_eq!(out.error_kind, ErrorKind::Unavailable);
}
