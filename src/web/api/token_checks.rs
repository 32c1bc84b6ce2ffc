//! Token checks against the database, shared by concurrent requests.
//!
//! Revoking a token must refuse the very next request, whichever process or
//! instance revoked it (`shelfsync token revoke`, another server), so no
//! answer about a token is kept: every request is judged by a database read
//! that *began after the request arrived*, which sees every revocation
//! committed before it.
//!
//! A busy storefront sends many requests with one token at once, and one read
//! per request would make the read pool the bottleneck of the list reads. So
//! reads of one token are taken in rounds: a request that arrives while a
//! round is running waits for the next round, which starts as soon as the
//! running one ends and answers every request that arrived in the meantime.
//! At most one read per token is in flight, and a request waits for at most
//! two. A round that answers nobody is never started.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::inventory::tokens::{self, ApiToken};
use crate::inventory::{InventoryError, Result};
use crate::web::AppState;
use crate::web::list_cache::read_blocking;

/// The checks of tokens being checked now, by the hash of their secret. A
/// token's entry goes when its last round ends, so this holds only tokens in
/// use this moment.
#[derive(Default)]
pub struct TokenChecks {
    gates: Mutex<HashMap<String, Arc<Gate>>>,
}

/// The rounds of one token.
struct Gate {
    rounds: Mutex<Rounds>,
    /// The outcome of the last round that ended.
    ended: watch::Sender<Ended>,
}

#[derive(Debug, Default)]
struct Rounds {
    /// Rounds started so far (the running one included).
    started: u64,
    /// The highest round a waiting request needs.
    wanted: u64,
    /// Whether a round is running now.
    running: bool,
}

#[derive(Debug, Clone, Default)]
struct Ended {
    round: u64,
    /// The live token, `None` for an unknown or revoked one; an error is the
    /// database's, as text (the error type is not `Clone`).
    outcome: Option<std::result::Result<Option<ApiToken>, String>>,
}

impl TokenChecks {
    /// The live token with this secret, or `None` when it is unknown or
    /// revoked, judged by a database read that began after this call.
    pub async fn check(&self, state: Arc<AppState>, secret: String) -> Result<Option<ApiToken>> {
        let hash = tokens::hash(&secret);
        let gate = Arc::clone(
            self.gates
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(hash.clone())
                .or_insert_with(|| {
                    Arc::new(Gate {
                        rounds: Mutex::new(Rounds::default()),
                        ended: watch::channel(Ended::default()).0,
                    })
                }),
        );
        // Listen before deciding which round to wait for, so its end can't be missed.
        let mut ended = gate.ended.subscribe();
        let needed = {
            let mut rounds = gate.rounds.lock().unwrap_or_else(|e| e.into_inner());
            // A running round began before this request: wait for the next.
            let needed = rounds.started + 1;
            rounds.wanted = rounds.wanted.max(needed);
            if !rounds.running {
                rounds.running = true;
                rounds.started = needed;
                actix_web::rt::spawn(run_rounds(state, Arc::clone(&gate), hash, secret));
            }
            needed
        };
        loop {
            {
                let last = ended.borrow_and_update();
                if last.round >= needed
                    && let Some(outcome) = &last.outcome
                {
                    return outcome.clone().map_err(InventoryError::Unavailable);
                }
            }
            ended
                .changed()
                .await
                .map_err(|_| InventoryError::Unavailable("the token check was abandoned".into()))?;
        }
    }
}

/// Reads the token once per round while requests wait for another round,
/// then removes the gate.
async fn run_rounds(state: Arc<AppState>, gate: Arc<Gate>, hash: String, secret: String) {
    loop {
        let round = gate
            .rounds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .started;
        let lookup = secret.clone();
        // The read pool: a storm of storefront reads must not take the
        // connections that sales and edits need.
        let outcome = read_blocking(&state, move |conn| tokens::authenticate(conn, &lookup))
            .await
            .map_err(|e: InventoryError| e.to_string());
        gate.ended.send_replace(Ended {
            round,
            outcome: Some(outcome),
        });
        let mut rounds = gate.rounds.lock().unwrap_or_else(|e| e.into_inner());
        if rounds.wanted > rounds.started {
            rounds.started += 1;
            continue;
        }
        rounds.running = false;
        break;
    }
    // A request that took this gate just now starts a round on it itself, so
    // removing it is safe; the next request makes a new one.
    let mut gates = state
        .token_checks
        .gates
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if gates.get(&hash).is_some_and(|g| Arc::ptr_eq(g, &gate)) {
        let idle = !gate
            .rounds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .running;
        if idle {
            gates.remove(&hash);
        }
    }
}
