//! Domain tests of discovery on a fresh database per test (SQLite, or PostgreSQL in `make
//! test`'s second pass): what search finds and in which order, who sees private repositories,
//! stars and their counts, pull statistics with two replicas flushing at once.

use berth_core::{
    access::Subject,
    accounts::{self, User},
    clock,
    discover::{self, Query, Sort},
    registry::repos,
    repositories::{self, NewRepo, RepoError},
    Config, Hub,
};

async fn hub() -> (Hub, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (berth_core::testing::open_hub(dir.path(), &[]).await, dir)
}

async fn user(hub: &Hub, name: &str, confirmed: bool, admin: bool) -> User {
    crate::account(hub, name, confirmed, admin).await
}

async fn create(hub: &Hub, owner: &User, ns: &str, name: &str, desc: &str, private: bool) {
    repositories::create(
        hub,
        owner,
        NewRepo {
            namespace: ns,
            name,
            description: desc,
            private,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{ns}/{name}: {e:?}"));
}

async fn names(hub: &Hub, who: &Subject, text: &str, sort: Sort, official: bool) -> Vec<String> {
    let r = discover::search(
        hub,
        who,
        &Query {
            text: text.into(),
            official_only: official,
            sort,
            page: 1,
            per_page: 100,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        r.total as usize,
        r.repositories.len(),
        "count matches the list"
    );
    r.repositories.into_iter().map(|r| r.full_name).collect()
}

#[tokio::test]
async fn search_ranks_matches_and_shows_private_ones_only_to_who_may_see_them() {
    let (hub, _dir) = hub().await;
    let admin = user(&hub, "rooty", true, true).await;
    let alice = user(&hub, "alice", true, false).await;
    let bob = user(&hub, "bobby", true, false).await;
    create(
        &hub,
        &alice,
        "alice",
        "web-server",
        "An nginx proxy for Acme",
        false,
    )
    .await;
    create(&hub, &alice, "alice", "nginx", "", false).await;
    create(&hub, &alice, "alice", "nginx-secret", "", true).await;
    create(
        &hub,
        &admin,
        "library",
        "nginx",
        "Official build of Nginx",
        false,
    )
    .await;
    create(
        &hub,
        &bob,
        "bobby",
        "engine",
        "not a prefix match for ngi",
        false,
    )
    .await;

    let anyone = Subject::Anonymous;
    let (a, b, root) = (
        Subject::User(alice.clone()),
        Subject::User(bob.clone()),
        Subject::User(admin.clone()),
    );
    // Exact name first, official before the rest; the description matches too.
    let best = names(&hub, &anyone, "nginx", Sort::BestMatch, false).await;
    assert_eq!(best, ["library/nginx", "alice/nginx", "alice/web-server"]);
    assert_eq!(names(&hub, &b, "nginx", Sort::BestMatch, false).await, best);
    let mine = names(&hub, &a, "nginx", Sort::BestMatch, false).await;
    assert!(mine.contains(&"alice/nginx-secret".to_string()), "{mine:?}");
    assert!(
        names(&hub, &root, "secret", Sort::BestMatch, false)
            .await
            .len()
            == 1
    );
    assert!(names(&hub, &b, "secret", Sort::BestMatch, false)
        .await
        .is_empty());
    // Words are prefixes, split like names: `ngi` finds nginx, not engine; several words AND.
    assert_eq!(
        names(&hub, &anyone, "NGI", Sort::BestMatch, false)
            .await
            .len(),
        4
    );
    assert_eq!(
        names(&hub, &anyone, "acme  proxy!", Sort::BestMatch, false).await,
        ["alice/web-server"]
    );
    assert_eq!(
        names(&hub, &anyone, "library/nginx", Sort::BestMatch, false).await[0],
        "library/nginx"
    );
    assert_eq!(
        names(&hub, &anyone, "nginx", Sort::BestMatch, true).await,
        ["library/nginx"]
    );
    // Characters of a full-text query language are only separators.
    assert!(
        names(&hub, &anyone, "\"* -:()", Sort::BestMatch, false)
            .await
            .len()
            == 4
    );

    // The index follows descriptions and deletions in the same transaction.
    repositories::set_descriptions(&hub, &bob, "bobby/engine", "Turbo diesel", "")
        .await
        .unwrap();
    assert_eq!(
        names(&hub, &anyone, "turbo", Sort::BestMatch, false).await,
        ["bobby/engine"]
    );
    assert!(names(&hub, &anyone, "prefix", Sort::BestMatch, false)
        .await
        .is_empty());
    repositories::delete(
        &hub,
        &bob,
        "bobby/engine",
        "bobby/engine",
        &Default::default(),
    )
    .await
    .unwrap();
    assert!(names(&hub, &anyone, "turbo", Sort::BestMatch, false)
        .await
        .is_empty());

    // Stars order "most stars"; pages of a given size cover every match once.
    discover::set_star(&hub, &bob, "alice", "web-server", true)
        .await
        .unwrap();
    let by_stars = names(&hub, &anyone, "", Sort::Stars, false).await;
    assert_eq!(by_stars[0], "alice/web-server");
    let mut paged = Vec::new();
    for page in 1..=3 {
        let r = discover::search(
            &hub,
            &anyone,
            &Query {
                sort: Sort::Stars,
                page,
                per_page: 1,
                ..Query::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((r.total, r.pages, r.page), (3, 3, page));
        paged.extend(r.repositories.into_iter().map(|r| r.full_name));
    }
    assert_eq!(paged, by_stars);
    // A page past the end (an old link) is the last one.
    let past = discover::search(
        &hub,
        &anyone,
        &Query {
            sort: Sort::Stars,
            page: 9,
            per_page: 1,
            ..Query::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((past.page, past.total), (3, 3));
    assert_eq!(past.repositories[0].full_name, by_stars[2]);

    // Explore: public only, official first.
    let explore = discover::explore(&hub, Sort::Pulls, 1).await.unwrap();
    let listed: Vec<_> = explore
        .repositories
        .iter()
        .map(|r| r.full_name.as_str())
        .collect();
    assert_eq!(listed[0], "library/nginx");
    assert!(!listed.contains(&"alice/nginx-secret"));
}

#[tokio::test]
async fn stars_are_idempotent_counted_and_private_to_who_may_see() {
    let (hub, _dir) = hub().await;
    let alice = user(&hub, "alice", true, false).await;
    let bob = user(&hub, "bobby", true, false).await;
    let carol = user(&hub, "carol", false, false).await;
    create(&hub, &alice, "alice", "open", "", false).await;
    create(&hub, &alice, "alice", "hidden", "", true).await;

    for _ in 0..2 {
        let (repo, on) = discover::set_star(&hub, &bob, "alice", "open", true)
            .await
            .unwrap();
        assert!(on);
        assert_eq!(repo.star_count, 1, "starring twice counts once");
    }
    let (repo, _) = discover::set_star(&hub, &alice, "alice", "open", true)
        .await
        .unwrap();
    assert_eq!(repo.star_count, 2);
    assert!(discover::is_starred(&hub, &bob, &repo).await.unwrap());
    // Unconfirmed accounts may not star; a private repository does not exist for others.
    assert!(matches!(
        discover::set_star(&hub, &carol, "alice", "open", true).await,
        Err(RepoError::Refused(_))
    ));
    assert!(matches!(
        discover::set_star(&hub, &bob, "alice", "hidden", true).await,
        Err(RepoError::NotFound)
    ));
    discover::set_star(&hub, &alice, "alice", "hidden", true)
        .await
        .unwrap();
    let seen = |v: Vec<repos::Repository>| v.into_iter().map(|r| r.full_name).collect::<Vec<_>>();
    let as_owner = seen(discover::starred(&hub, Some(&alice), &alice).await.unwrap());
    assert_eq!(as_owner, ["alice/hidden", "alice/open"]);
    let as_bob = seen(discover::starred(&hub, Some(&bob), &alice).await.unwrap());
    assert_eq!(as_bob, ["alice/open"]);
    assert_eq!(
        seen(discover::starred(&hub, None, &alice).await.unwrap()),
        ["alice/open"]
    );

    let (repo, on) = discover::set_star(&hub, &bob, "alice", "open", false)
        .await
        .unwrap();
    assert!(!on);
    assert_eq!(repo.star_count, 1);
    discover::set_star(&hub, &bob, "alice", "open", false)
        .await
        .unwrap();
    // An account that goes takes its stars with it.
    discover::set_star(&hub, &bob, "alice", "open", true)
        .await
        .unwrap();
    accounts::security::delete_account(&hub, &bob, "bobby")
        .await
        .unwrap();
    let (repo, _) = repositories::open(&hub, Some(&alice), "alice", "open")
        .await
        .unwrap();
    assert_eq!(repo.star_count, 1);
}

/// Two replicas on one database count pulls of the same repository and day, then flush at the
/// same moment, many times: every pull is counted once.
#[tokio::test]
async fn pulls_are_counted_per_day_and_two_replicas_flushing_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let backend = berth_core::testing::fresh_backend().await;
    let data = dir.path().to_string_lossy().to_string();
    let open = || async {
        let mut pairs = vec![("BERTH_DATA_DIR", data.as_str())];
        pairs.extend(backend.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Hub::open(Config::from_pairs(&pairs).unwrap())
            .await
            .unwrap()
    };
    let (one, two) = (open().await, open().await);
    let alice = user(&one, "alice", true, false).await;
    create(&one, &alice, "alice", "busy", "", false).await;
    create(&one, &alice, "alice", "quiet", "", false).await;
    let (busy, _) = repositories::open(&one, None, "alice", "busy")
        .await
        .unwrap();
    let (quiet, _) = repositories::open(&one, None, "alice", "quiet")
        .await
        .unwrap();
    for _ in 0..20 {
        for _ in 0..25 {
            repos::count_pull(&one, &busy, Some("latest"));
            repos::count_pull(&two, &busy, None);
        }
        repos::count_pull(&two, &quiet, Some("v1"));
        let (a, b) = tokio::join!(repos::flush_pulls(&one), repos::flush_pulls(&two));
        a.unwrap();
        b.unwrap();
    }
    let (busy, _) = repositories::open(&one, None, "alice", "busy")
        .await
        .unwrap();
    assert_eq!(busy.pull_count, 1000);
    let days = discover::daily_pulls(&one, &busy, discover::CHART_DAYS)
        .await
        .unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days.last().unwrap(), &(clock::day(clock::now()), 1000));
    assert!(days[..29].iter().all(|(_, n)| *n == 0));
    let quiet_days = discover::daily_pulls(&two, &quiet, 30).await.unwrap();
    assert_eq!(quiet_days.iter().map(|(_, n)| n).sum::<i64>(), 20);
    // Nothing left to write.
    repos::flush_pulls(&one).await.unwrap();
    let (busy, _) = repositories::open(&two, None, "alice", "busy")
        .await
        .unwrap();
    assert_eq!(busy.pull_count, 1000);
}

/// Searches take turns: with every turn taken, a search waits, then hears "busy"; a turn given
/// back lets the next one run.
#[tokio::test]
async fn searches_take_turns_and_say_busy_when_none_comes() {
    let (mut hub, _dir) = hub().await;
    hub.searches = discover::Gate::new(1, std::time::Duration::from_millis(100));
    let held = hub.searches.turn().await.unwrap();
    let query = Query::default();
    let busy = discover::search(&hub, &Subject::Anonymous, &query).await;
    assert!(matches!(busy, Err(berth_core::CoreError::Busy)), "{busy:?}");
    drop(held);
    discover::search(&hub, &Subject::Anonymous, &query)
        .await
        .unwrap();
}
