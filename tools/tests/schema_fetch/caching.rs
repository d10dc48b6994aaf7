//! The schema cache: hits need no network, fresh entries are not refetched, expired latest
//! ones are (with a fallback when the network is down), pins are kept forever and do not
//! collide with the latest.

use std::time::Duration;

use pipelines_test_fakes::replicate::Fault;
use pipelines_tools::schema::{ModelRef, ReplicateClient, ReplicateConfig};

use crate::{config, dead_base_url, one, refs, setup};

#[tokio::test]
async fn cache_hit_needs_no_network() {
    let s = setup().await;
    let first = one(&s, "acme/pixel-forge").await.unwrap();
    assert!(!first.from_cache);
    // Writes to the store happen in the background; flush before another client reads.
    s.client.flush().await;
    let base = s.fake.base_url.clone();
    drop(s.fake);

    // Same store, API gone: served from the cache, no request possible.
    let client = ReplicateClient::new(config(&base), s.store.clone()).unwrap();
    let again = client
        .fetch_model_schema("acme/pixel-forge", false)
        .await
        .unwrap();
    assert!(again.from_cache);
    assert_eq!(again.signature, first.signature);
    assert_eq!(again.version, first.version);
}

#[tokio::test]
async fn fresh_cache_entries_are_not_refetched_unless_refresh() {
    let s = setup().await;
    one(&s, "acme/echo-text").await.unwrap();
    s.fake.clear_requests();
    let cached = one(&s, "acme/echo-text").await.unwrap();
    assert!(cached.from_cache);
    assert!(s.fake.requests().is_empty());

    let refreshed = s
        .client
        .fetch_model_schema("acme/echo-text", true)
        .await
        .unwrap();
    assert!(!refreshed.from_cache);
    assert!(!s.fake.requests().is_empty());
}

#[tokio::test]
async fn expired_latest_is_refetched_and_network_down_falls_back_to_it() {
    let s = setup().await;
    let expired = ReplicateClient::new(
        ReplicateConfig {
            latest_ttl: Duration::ZERO,
            ..config(&s.fake.base_url)
        },
        s.store.clone(),
    )
    .unwrap();
    expired
        .fetch_model_schema("acme/chatter-3b", false)
        .await
        .unwrap();
    s.fake.clear_requests();
    let again = expired
        .fetch_model_schema("acme/chatter-3b", false)
        .await
        .unwrap();
    assert!(!again.from_cache, "a stale latest schema is fetched again");
    assert!(!s.fake.requests().is_empty());
    expired.flush().await;

    // Network down: the stale copy is better than nothing, also on refresh.
    let offline = ReplicateClient::new(
        ReplicateConfig {
            latest_ttl: Duration::ZERO,
            ..config(&dead_base_url())
        },
        s.store.clone(),
    )
    .unwrap();
    let stale = offline
        .fetch_model_schema("acme/chatter-3b", true)
        .await
        .unwrap();
    assert!(stale.from_cache);
    assert_eq!(stale.output.python_type, "str");

    // 5xx after retries also falls back; 404 does not.
    s.fake.inject(Fault::status(500).times(8));
    let served = expired
        .fetch_model_schema("acme/chatter-3b", false)
        .await
        .unwrap();
    assert!(served.from_cache);
    s.fake.clear_faults();
}

#[tokio::test]
async fn pinned_versions_are_cached_forever() {
    let s = setup().await;
    let zero_ttl = ReplicateClient::new(
        ReplicateConfig {
            latest_ttl: Duration::ZERO,
            ..config(&s.fake.base_url)
        },
        s.store.clone(),
    )
    .unwrap();
    let id = s.fake.version_ids("acme/scene-inspector")[0].clone();
    let pinned = format!("acme/scene-inspector:{id}");
    zero_ttl.fetch_model_schema(&pinned, false).await.unwrap();
    s.fake.clear_requests();
    let again = zero_ttl.fetch_model_schema(&pinned, false).await.unwrap();
    assert!(again.from_cache);
    assert!(s.fake.requests().is_empty());
}

#[tokio::test]
async fn the_cache_records_fetched_models() {
    let s = setup().await;
    let id = s.fake.version_ids("acme/echo-text")[1].clone();
    let batch = refs(&["acme/pixel-forge", &format!("acme/echo-text:{id}")]);
    for r in s.client.fetch_model_schemas(&batch, false).await {
        r.unwrap();
    }
    let cache = s.client.cache();
    assert!(cache.cached("acme/pixel-forge").unwrap().from_cache);
    // A model fetched only pinned is still known under owner/name.
    assert_eq!(
        cache.cached("acme/echo-text").unwrap().version.as_deref(),
        Some(id.as_str())
    );
    assert!(cache.cached(&format!("acme/echo-text:{id}")).is_some());
    assert!(cache.cached("acme/chatter-3b").is_none());
    let all = cache.all_cached();
    let mut keys: Vec<&String> = all.keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            &format!("acme/echo-text:{id}"),
            &"acme/pixel-forge".to_owned()
        ]
    );
}

/// A pinned `owner/name:version` and the latest `owner/name` are cached side by side: each
/// reference gets its own schema, whatever the order they were fetched in, and an uncached
/// pin falls back to the latest.
#[tokio::test]
async fn pinned_and_latest_schemas_do_not_collide() {
    for pinned_first in [true, false] {
        let s = setup().await;
        let ids = s.fake.version_ids("acme/echo-text");
        let latest = s
            .client
            .fetch_model_schema("acme/echo-text", false)
            .await
            .unwrap()
            .version
            .unwrap();
        let old = ids.iter().find(|id| **id != latest).unwrap().clone();
        let pinned = format!("acme/echo-text:{old}");
        let order = if pinned_first {
            [pinned.clone(), "acme/echo-text".to_owned()]
        } else {
            ["acme/echo-text".to_owned(), pinned.clone()]
        };
        for reference in &order {
            s.client.fetch_model_schema(reference, false).await.unwrap();
        }
        let refs: Vec<ModelRef> = order.iter().map(|r| ModelRef::parse(r).unwrap()).collect();
        let schemas = s.client.cache().schemas_for(&refs);
        let version = |r: &str| schemas.get(r).and_then(|s| s.version.clone());
        assert_eq!(version(&pinned).as_deref(), Some(old.as_str()));
        assert_eq!(version("acme/echo-text").as_deref(), Some(latest.as_str()));
        assert_eq!(
            version("acme/echo-text:0000uncached").as_deref(),
            Some(latest.as_str())
        );
        assert_eq!(
            s.client.cache().cached(&pinned).unwrap().version,
            Some(old.clone())
        );
    }
}
