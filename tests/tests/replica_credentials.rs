//! A replica trusts a credential it resolved for at most 5 s (`identity::authn::CACHE_TTL`): a key
//! revoked through another replica of the same database is refused here within that bound, and at once
//! on the replica that revoked it. Two servers on one database, on both backends.

use std::time::{Duration, Instant};

use kam_tests::{Caller, TestServer, backend_tests, pb};
use tonic::Code;

/// The bound docs/operations.md states ("Several replicas").
const CACHE_TTL: Duration = Duration::from_secs(5);
/// What a loaded machine may add to it: a poll's own round trip and scheduling.
const MARGIN: Duration = Duration::from_secs(2);

backend_tests! {
    async fn a_key_revoked_through_one_replica_is_refused_by_another_within_the_cache_bound(
        first: &TestServer
    ) {
        let second = TestServer::start_beside(first, |_| {}).await;
        let member = first.caller_with_roles(&[pb::Role::Member]).await;
        // The second replica resolves the key and remembers it.
        let me = who_am_i(&second, &member).await.expect("the key works on the second replica");

        first
            .identity()
            .revoke_api_key(pb::RevokeApiKeyRequest {
                id: me.api_key_id.clone(),
            })
            .await
            .expect("the ADMIN revokes the key through the first replica");
        let revoked_at = Instant::now();
        let refused = who_am_i(first, &member).await.expect_err("refused at once where revoked");
        assert_eq!(refused.code(), Code::Unauthenticated);

        loop {
            match who_am_i(&second, &member).await {
                Ok(_) => assert!(
                    revoked_at.elapsed() < CACHE_TTL + MARGIN,
                    "the second replica still serves the revoked key {:?} after the revocation",
                    revoked_at.elapsed()
                ),
                Err(status) => {
                    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        second.stop().await;
    }
}

async fn who_am_i(server: &TestServer, caller: &Caller) -> Result<pb::WhoAmIResponse, tonic::Status> {
    server
        .caller(caller.staff_id.clone(), caller.secret.clone())
        .identity()
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .map(tonic::Response::into_inner)
}
