//! The kind of a daemon error, after moby's `errdefs` package: what the Engine API's status
//! comes from (`errdefs.GetHTTPErrorStatusCode`, mapped in `api::http_status`), never the
//! message's words. The CLI prints only the message.
//!
//! libnetwork's typed errors fall into these kinds by the method they carry: `NotFound()`,
//! `Forbidden()` (`types.NotFoundErrorf`, `types.ForbiddenErrorf`, `ActiveEndpointsError`...).
//! Up to v24 its `BadRequest()`, `Internal()` and `Maskable()` errors carry no method errdefs
//! knows, so they are untyped (500) like a plain `fmt.Errorf`; from v25
//! `types.InvalidParameterErrorf` is `errdefs.InvalidParameter` (400).

use crate::control::engine::DockerEngine;

/// An errdefs type, for the kinds hnsim's daemon refuses with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    /// `errdefs.NotFound` (404): no such network, container or plugin.
    NotFound,
    /// `errdefs.InvalidParameter` (400): the request itself is wrong.
    InvalidParameter,
    /// `errdefs.Conflict` (409): a name taken (the router's `nameConflict`), a container in
    /// the wrong state.
    Conflict,
    /// `errdefs.Forbidden` (403): libnetwork's `types.ForbiddenError`, predefined networks.
    Forbidden,
    /// `errdefs.Unavailable` (503): swarm's `notAvailableError` (not in a swarm, not a
    /// manager, already in one).
    Unavailable,
    /// `errdefs.System` or no type at all (500).
    #[default]
    System,
}

impl ErrorKind {
    /// libnetwork's `BadRequest()` errors (`types.BadRequestErrorf`, `parseErr`,
    /// `ErrInvalidMtu`) on `engine`: untyped up to v24, `InvalidParameter` from v25, when
    /// they became `types.InvalidParameterErrorf` (moby v25.0.0 `libnetwork/types`).
    pub fn bad_request(engine: DockerEngine) -> Self {
        // Every engine hnsim models after 20.10 is v25 or later.
        if engine > DockerEngine::V20_10 {
            ErrorKind::InvalidParameter
        } else {
            ErrorKind::System
        }
    }
}
