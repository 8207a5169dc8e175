//! How long a revocation on one node takes to reach another node sharing
//! the PostgreSQL database (target: p99 ≤ 100 ms). Two nodes run in
//! this process; node B caches a key, node A revokes it, and B verifies
//! every millisecond until it answers `REVOKED`.
//!
//! `KEYWARD_BENCH_DATABASE_URL=postgres://… cargo run --release -p keyward-server --example revocation [ROUNDS]`
#![allow(clippy::expect_used)]

#[path = "support/two_nodes.rs"]
mod two_nodes;

use keyward_server::ops::keys;
use std::time::Instant;
use two_nodes::{Node, cached_key, organization, report, until_revoked};

#[tokio::main]
async fn main() {
    let url = std::env::var("KEYWARD_BENCH_DATABASE_URL")
        .expect("KEYWARD_BENCH_DATABASE_URL names a PostgreSQL database");
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(200, |r| r.parse().expect("ROUNDS is a number"));
    let a = Node::start(&url, |_| {}).await;
    let b = Node::start(&url, |_| {}).await;
    println!("node A at {}, node B at {}", a.address, b.address);
    let ctx = organization(&a.state, "Revocation bench").await;
    let mut seen = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let (id, key) = cached_key(&a.state, &b.state, &ctx).await;
        keys::revoke(&a.state, &ctx, &id.to_string())
            .await
            .expect("revoke");
        seen.push(until_revoked(&b.state, &key, Instant::now()).await);
    }
    a.state.store.delete_org(ctx.org.id).await.expect("cleanup");
    report(
        &format!("revocation seen by the second node, {rounds} rounds"),
        &mut seen,
    );
    a.stop();
    b.stop();
}
