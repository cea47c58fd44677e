//! End to end with a real Docker engine (Debian's docker.io, started here on a private socket):
//! docker login, push, push again, mount into a second repository, pull, run; refusals for a bad
//! password and for another user's namespace; anonymous pull of a public repository; personal
//! access tokens as the password (each level, a limit, deactivation, two-factor accounts);
//! `docker search` (official images, stars, private repositories) and official images by short name;
//! organizations (an editor creates by push, a read team pulls but cannot push, a removed member's
//! next pull fails, a transferred repository pulls under its new name and its old one); a webhook
//! hearing a push, signed, with the digest docker printed; garbage collection after deleting one
//! of two images that share layers (the other still pulls and runs), and an immutable tag
//! refusing a re-push with its rule in docker's output.

use crate::common;

use common::{
    docker::{rootfs_tar, Engine},
    TestServer,
};

const PASSWORD: &str = "docker test password";

async fn account(s: &TestServer, name: &str) {
    common::register(s.hub(), name, PASSWORD, true, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_login_push_pull_and_run() {
    let s = TestServer::shared();
    account(s, "dockeralice").await;
    account(s, "dockerbob").await;
    account(s, "dockercarol").await;
    common::register(s.hub(), "dockeradmin", PASSWORD, true, true).await;
    for name in ["dockerboss", "dockereditor", "dockerreader"] {
        account(s, name).await;
    }
    let tokens = Tokens::make(s).await;
    let host = s.base.trim_start_matches("http://").to_string();
    let work = tempfile::tempdir().unwrap();
    let tar = rootfs_tar(work.path());

    let (engine, results) = tokio::task::spawn_blocking(move || {
        let engine = Engine::start();
        let mut seen = Vec::new();
        let image = |name: &str| format!("{host}/{name}");
        let app = image("dockeralice/app:v1");
        let other = image("dockeralice/other:v1");
        let foreign = image("dockerbob/stolen:v1");

        // Two layers: the imported root filesystem and one made by running a container.
        engine.ok(&["import", tar.to_str().unwrap(), "berth-e2e/base:1"]);
        engine.ok(&[
            "run",
            "--network",
            "none",
            "--name",
            "builder",
            "berth-e2e/base:1",
            "sh",
            "-c",
            "echo second layer > /layer2",
        ]);
        engine.ok(&["commit", "builder", &app]);
        engine.ok(&["rm", "builder"]);

        // A wrong password is refused; the right one logs in.
        let bad = engine.login(&host, "dockeralice", "not the password");
        assert!(!bad.status.success());
        let bad_text = String::from_utf8_lossy(&bad.stderr).to_string();
        assert!(
            bad_text.contains("unauthorized") || bad_text.contains("incorrect"),
            "{bad_text}"
        );
        let good = engine.login(&host, "dockeralice", PASSWORD);
        let good_text = String::from_utf8_lossy(&good.stdout).to_string();
        assert!(
            good.status.success(),
            "{good_text}{}",
            String::from_utf8_lossy(&good.stderr)
        );
        assert!(good_text.contains("Login Succeeded"), "{good_text}");

        let first = engine.ok(&["push", &app]);
        assert!(first.contains("v1: digest: sha256:"), "{first}");
        seen.push(first.clone());
        let again = engine.ok(&["push", &app]);
        assert!(again.contains("Layer already exists"), "{again}");
        engine.ok(&["tag", &app, &other]);
        let mounted = engine.ok(&["push", &other]);
        assert!(
            mounted.contains("Mounted from dockeralice/app"),
            "{mounted}"
        );

        // Another user's namespace: refused with where one may push.
        engine.ok(&["tag", &app, &foreign]);
        let refused = engine.fails(&["push", &foreign]);
        assert!(
            refused.contains("denied: requested access to the resource is denied")
                && refused.contains("dockeralice/NAME"),
            "{refused}"
        );

        // A nested name Berth does not allow is refused at once, with the rule, not retried.
        let nested = image("dockeralice/team/app:v1");
        engine.ok(&["tag", &app, &nested]);
        let started = std::time::Instant::now();
        let refused = engine.fails(&["push", &nested]);
        assert!(
            refused.contains("denied") && refused.contains("NAMESPACE/NAME"),
            "{refused}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "refused without retrying: {:?}",
            started.elapsed()
        );
        engine.ok(&["rmi", &nested]);

        // Pull into an empty image store and run it, offline.
        engine.ok(&["rmi", &app, &other, &foreign, "berth-e2e/base:1"]);
        engine.ok(&["image", "prune", "-f"]);
        let pulled = engine.ok(&["pull", &app]);
        assert!(pulled.contains("Downloaded newer image"), "{pulled}");
        let ran = engine.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            &app,
            "cat",
            "/greeting",
            "/layer2",
        ]);
        assert!(
            ran.contains("hello from berth") && ran.contains("second layer"),
            "{ran}"
        );

        // Logged out: the public repository still pulls anonymously.
        engine.ok(&["logout", &host]);
        engine.ok(&["rmi", &app]);
        let anonymous = engine.ok(&["pull", &app]);
        assert!(anonymous.contains("Downloaded newer image"), "{anonymous}");
        // Pushing needs a login.
        let denied = engine.fails(&["push", &app]);
        assert!(
            denied.contains("unauthorized") || denied.contains("denied"),
            "{denied}"
        );
        tokens.check(&engine, &host);
        discover(&engine, &host);
        organizations(&engine, &host);
        webhook(&engine, &host);
        lifecycle(&engine, &app);
        (engine, seen)
    })
    .await
    .unwrap();
    drop(engine);

    // What the web pages will show was recorded from the push (pulls are written every second).
    berth_core::registry::repos::flush_pulls(s.hub())
        .await
        .unwrap();
    let (platforms, size, pushed_by, pulls, tag_pulls, last_pulled): (
        String,
        i64,
        String,
        i64,
        i64,
        Option<i64>,
    ) = sqlx::query_as(
        "SELECT m.platforms, m.total_size, u.username, r.pull_count, t.pull_count, t.last_pulled_at
         FROM tags t
         JOIN repositories r ON r.id = t.repository_id
         JOIN manifests m ON m.repository_id = r.id AND m.digest = t.manifest_digest
         JOIN users u ON u.id = t.pushed_by
         WHERE r.full_name = 'dockeralice/app' AND t.name = 'v1'",
    )
    .fetch_one(s.hub().db.pool())
    .await
    .unwrap();
    assert_eq!(platforms, r#"[{"os":"linux","architecture":"amd64"}]"#);
    assert!(size > 500_000, "busybox layer compressed: {size}");
    assert_eq!(pushed_by, "dockeralice");
    // The engine resolves a tag with HEAD and GETs the manifest by digest only when its content
    // store no longer holds it, so each of the four `docker pull`s of app:v1 (after `rmi`,
    // anonymous, with each token) counts only if the engine's garbage collection ran in
    // between; exact counting is in registry.rs and discover.rs.
    assert!((1..=4).contains(&pulls), "the pulls were counted: {pulls}");
    // The by-digest GET after the HEAD by tag is the tag's pull, and the HEAD alone already
    // makes it the tag's last pull (what "delete tags not pulled for N days" reads).
    assert!(
        (1..=pulls).contains(&tag_pulls),
        "docker pull counts for the tag: {tag_pulls} of {pulls}"
    );
    assert!(
        last_pulled.is_some(),
        "docker pull sets the tag's last pull"
    );
    assert!(results[0].contains("digest"));
}

/// `docker search` and official images by short name, after the token checks (dockeralice/other
/// is private by then, dockeralice/app:v1 is in the engine).
fn discover(engine: &Engine, host: &str) {
    let rt = tokio::runtime::Handle::current();
    let s = TestServer::shared();
    let app = format!("{host}/dockeralice/app:v1");
    let login = |user: &str| {
        let out = engine.login(host, user, PASSWORD);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    // An administrator pushes library/alpine; anyone pulls it as HOST/alpine.
    login("dockeradmin");
    let official = format!("{host}/library/alpine:3");
    engine.ok(&["tag", &app, &official]);
    engine.ok(&["push", &official]);
    engine.ok(&["rmi", &official]);
    engine.ok(&["logout", host]);
    let short = format!("{host}/alpine:3");
    let pulled = engine.ok(&["pull", &short]);
    assert!(pulled.contains("alpine:3"), "{pulled}");
    // Someone else may not push there, and hears where they may.
    login("dockerbob");
    engine.ok(&["tag", &app, &format!("{host}/alpine:bob")]);
    let refused = engine.fails(&["push", &format!("{host}/alpine:bob")]);
    assert!(
        refused.contains("denied") && refused.contains("dockerbob/NAME"),
        "{refused}"
    );
    engine.ok(&["logout", host]);

    rt.block_on(async {
        let hub = s.hub();
        let admin = berth_core::accounts::user_by_name(hub, "dockeradmin")
            .await
            .unwrap()
            .unwrap();
        berth_core::repositories::set_descriptions(
            hub,
            &admin,
            "library/alpine",
            "A minimal image for docker search",
            "",
        )
        .await
        .unwrap();
        berth_core::discover::set_star(hub, &admin, "library", "alpine", true)
            .await
            .unwrap();
    });

    // The table docker prints: official with [OK] and its star; private repositories only for
    // who may see them, whether docker sends a saved login or nothing.
    let table = engine.ok(&["search", &format!("{host}/alpine")]);
    let row = table
        .lines()
        .find(|l| l.starts_with("alpine "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        row.contains("A minimal image for docker search") && row.contains("[OK]"),
        "{table}"
    );
    assert_eq!(
        row.split_whitespace()
            .rev()
            .find(|w| w.parse::<i64>().is_ok()),
        Some("1"),
        "one star: {row}"
    );
    let official_only = engine.ok(&[
        "search",
        "--filter",
        "is-official=true",
        &format!("{host}/dockeralice"),
    ]);
    assert!(
        !official_only.contains("dockeralice/app"),
        "{official_only}"
    );
    let anonymous = engine.ok(&["search", &format!("{host}/dockeralice")]);
    assert!(anonymous.contains("dockeralice/app"), "{anonymous}");
    assert!(!anonymous.contains("dockeralice/other"), "{anonymous}");
    login("dockerbob");
    let bob = engine.ok(&["search", &format!("{host}/dockeralice")]);
    assert!(!bob.contains("dockeralice/other"), "{bob}");
    engine.ok(&["logout", host]);
    login("dockeralice");
    let owner = engine.ok(&["search", "--limit", "10", &format!("{host}/dockeralice")]);
    assert!(owner.contains("dockeralice/other"), "{owner}");
    engine.ok(&["logout", host]);
}

/// Organizations with the engine, after `discover` (dockeralice/app:v1 is in the engine). The
/// organization, invitations and teams are made through the domain, as the pages would.
fn organizations(engine: &Engine, host: &str) {
    use berth_core::{accounts::user_by_name, orgs, repositories};
    let rt = tokio::runtime::Handle::current();
    let s = TestServer::shared();
    let hub = s.hub();
    let app = format!("{host}/dockeralice/app:v1");
    let login = |user: &str| {
        let out = engine.login(host, user, PASSWORD);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let user = |name: &str| rt.block_on(user_by_name(hub, name)).unwrap().unwrap();
    let boss = user("dockerboss");
    rt.block_on(async {
        orgs::create(hub, &boss, "dockeracme", "", "ops@example.com")
            .await
            .unwrap();
        for (name, role) in [("dockereditor", "editor"), ("dockerreader", "member")] {
            orgs::invite(hub, &boss, "dockeracme", name, role)
                .await
                .unwrap();
            let mail = s.mail_to(&format!("{name}@example.com"), 1).await;
            let start = mail.find("/invitations/").unwrap() + "/invitations/".len();
            let token: String = mail[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            let invitee = user_by_name(hub, name).await.unwrap().unwrap();
            orgs::respond(hub, &invitee, &token, true).await.unwrap();
        }
    });

    // The editor creates dockeracme/app by pushing to it; it belongs to the organization.
    login("dockereditor");
    let acme = format!("{host}/dockeracme/app:v1");
    engine.ok(&["tag", &app, &acme]);
    engine.ok(&["push", &acme]);
    engine.ok(&["logout", host]);
    rt.block_on(async {
        let (repo, _) = repositories::open(hub, Some(&boss), "dockeracme", "app")
            .await
            .unwrap();
        assert!(repositories::repo_is_org(hub, &repo).await.unwrap());
        repositories::set_visibility(hub, &boss, "dockeracme/app", true, "app")
            .await
            .unwrap();
        orgs::create_team(hub, &boss, "dockeracme", "readers", "")
            .await
            .unwrap();
        orgs::add_team_member(hub, &boss, "dockeracme", "readers", "dockerreader")
            .await
            .unwrap();
        orgs::set_team_permission(hub, &boss, "dockeracme/app", "readers", "read")
            .await
            .unwrap();
    });

    // The read team's member pulls the private repository but may not push, and hears why.
    engine.ok(&["rmi", &acme]);
    login("dockerreader");
    let pulled = engine.ok(&["pull", &acme]);
    assert!(
        pulled.contains("Downloaded newer image") || pulled.contains("up to date"),
        "{pulled}"
    );
    let refused = engine.fails(&["push", &acme]);
    assert!(
        refused.contains("denied") && refused.contains("may only pull"),
        "{refused}"
    );

    // Removed, the same logged-in engine can no longer pull it.
    rt.block_on(orgs::remove_member(
        hub,
        &boss,
        "dockeracme",
        "dockerreader",
    ))
    .unwrap();
    engine.ok(&["rmi", &acme]);
    let gone = engine.fails(&["pull", &acme]);
    // To them it no longer exists (private: no hint that it does).
    assert!(gone.contains("name unknown"), "{gone}");
    engine.ok(&["logout", host]);

    // Transferred to the owner's namespace: it pulls under the new name, and the old name keeps
    // serving pulls until a repository is created there.
    rt.block_on(repositories::transfer(
        hub,
        &boss,
        "dockeracme/app",
        "dockerboss",
        "app",
    ))
    .unwrap();
    login("dockerboss");
    let moved = format!("{host}/dockerboss/app:v1");
    let pulled = engine.ok(&["pull", &moved]);
    assert!(pulled.contains("dockerboss/app:v1"), "{pulled}");
    let old = engine.ok(&["pull", &acme]);
    assert!(old.contains("dockeracme/app:v1"), "{old}");
    engine.ok(&["rmi", &moved, &acme]);
    engine.ok(&["logout", host]);
}

/// A webhook on dockeralice/app hears `docker push` of a new tag: signed, with the digest the
/// engine printed.
fn webhook(engine: &Engine, host: &str) {
    use common::receiver::{hmac_sha256_hex, Receiver};
    let rt = tokio::runtime::Handle::current();
    let s = TestServer::shared();
    let receiver = rt.block_on(Receiver::start(&[]));
    rt.block_on(async {
        let alice = berth_core::accounts::user_by_name(s.hub(), "dockeralice")
            .await
            .unwrap()
            .unwrap();
        berth_core::webhooks::create(
            s.hub(),
            &alice,
            "dockeralice/app",
            berth_core::webhooks::Form {
                name: "deploy",
                url: &receiver.url,
                events: &["tag_pushed".to_string()],
                secret: "docker webhook secret",
                remove_secret: false,
                active: true,
            },
        )
        .await
        .unwrap();
    });
    let out = engine.login(host, "dockeralice", PASSWORD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let app = format!("{host}/dockeralice/app:v1");
    let v2 = format!("{host}/dockeralice/app:v2");
    engine.ok(&["tag", &app, &v2]);
    let pushed = engine.ok(&["push", &v2]);
    let digest = pushed
        .split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap_or_else(|| panic!("{pushed}"))
        .to_string();
    engine.ok(&["logout", host]);
    let got = rt.block_on(receiver.wait_for(1));
    let r = &got[0];
    assert_eq!(
        r.header("x-berth-signature-256"),
        format!(
            "sha256={}",
            hmac_sha256_hex(b"docker webhook secret", r.body.as_bytes())
        )
    );
    let p = r.json();
    assert_eq!(p["event"], "tag_pushed");
    assert_eq!(p["push_data"]["tag"], "v2");
    assert_eq!(p["push_data"]["pusher"], "dockeralice");
    assert_eq!(p["repository"]["repo_name"], "dockeralice/app");
    assert_eq!(p["digest"], digest.as_str(), "{pushed}");
    assert_eq!(p["platforms"][0]["architecture"], "amd64");
}

/// On a hub of its own (collection must not race the shared hub's other tests): two images
/// sharing their base layers, one deleted and collected, the other pulled into an empty image
/// store and run; then an immutable tag refuses a re-push, naming the rule.
fn lifecycle(engine: &Engine, base_image: &str) {
    use berth_core::{
        lifecycle::{self, Policy},
        registry::names::{Reference, RepoName},
    };
    let rt = tokio::runtime::Handle::current();
    let s = rt.block_on(TestServer::start());
    rt.block_on(account(&s, "gcowner"));
    let host = s.base.trim_start_matches("http://").to_string();
    let one = format!("{host}/gcowner/one:v1");
    let two = format!("{host}/gcowner/two:v1");
    for (image, text) in [(&one, "only in one"), (&two, "only in two")] {
        engine.ok(&[
            "run",
            "--network",
            "none",
            "--name",
            "gc-builder",
            base_image,
            "sh",
            "-c",
            &format!("echo {text} > /own"),
        ]);
        engine.ok(&["commit", "gc-builder", image]);
        engine.ok(&["rm", "gc-builder"]);
    }
    let out = engine.login(&host, "gcowner", PASSWORD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    engine.ok(&["push", &one]);
    engine.ok(&["push", &two]);
    let hub = s.hub();
    let stored_before = rt.block_on(hub.registry.blobs.list_blobs()).unwrap().len();
    rt.block_on(async {
        let repo = berth_core::registry::repos::find(hub, &RepoName::parse("gcowner/one").unwrap())
            .await
            .unwrap()
            .unwrap();
        let m = berth_core::registry::manifests::get(hub, &repo, &Reference::Tag("v1".into()))
            .await
            .unwrap();
        berth_core::registry::manifests::delete(
            hub,
            &repo,
            &Reference::Digest(m.digest.parse().unwrap()),
            None,
            &Default::default(),
        )
        .await
        .unwrap();
        lifecycle::collect(hub, false).await.unwrap();
        berth_core::testing::age_marks(hub, berth_core::clock::DAY + 1).await;
        let report = lifecycle::collect(hub, false).await.unwrap();
        // One's own layer and its configuration; the shared base layers stay.
        assert_eq!(report.blobs.len(), 2, "{report:?}");
    });
    let stored_after = rt.block_on(hub.registry.blobs.list_blobs()).unwrap().len();
    assert_eq!(stored_before - stored_after, 2);
    engine.ok(&["rmi", &one, &two]);
    engine.ok(&["image", "prune", "-f"]);
    engine.ok(&["pull", &two]);
    let ran = engine.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        &two,
        "cat",
        "/greeting",
        "/own",
    ]);
    assert!(
        ran.contains("hello from berth") && ran.contains("only in two"),
        "{ran}"
    );

    rt.block_on(async {
        let owner = berth_core::accounts::user_by_name(hub, "gcowner")
            .await
            .unwrap()
            .unwrap();
        lifecycle::set_policy(
            hub,
            &owner,
            "gcowner/two",
            Policy {
                immutable_tags: "v[0-9]+".into(),
                ..Policy::default()
            },
        )
        .await
        .unwrap();
    });
    engine.ok(&["tag", base_image, &two]);
    let refused = engine.fails(&["push", &two]);
    assert!(
        refused
            .contains("tag v1 of gcowner/two is immutable (tags matching v[0-9]+ are immutable)"),
        "{refused}"
    );
    engine.ok(&["logout", &host]);
    engine.ok(&["rmi", &two]);
    rt.block_on(s.stop());
}

/// Access tokens for the engine to log in with, made through the domain.
struct Tokens {
    read_write: String,
    read_write_id: i64,
    read_only: String,
    limited: String,
    /// A token of dockercarol, who has two-factor authentication on.
    two_factor: String,
}

impl Tokens {
    async fn make(s: &TestServer) -> Tokens {
        use berth_core::accounts::{access_tokens, security};
        let hub = s.hub();
        let alice = berth_core::accounts::user_by_name(hub, "dockeralice")
            .await
            .unwrap()
            .unwrap();
        let carol = berth_core::accounts::user_by_name(hub, "dockercarol")
            .await
            .unwrap()
            .unwrap();
        let make = |user: berth_core::accounts::User, level: &'static str, limits: &'static str| async move {
            access_tokens::create(
                hub,
                &user,
                access_tokens::NewToken {
                    description: level,
                    level,
                    expiry: "30",
                    expiry_date: "",
                    limits,
                },
                &berth_core::activity::Origin::default(),
            )
            .await
            .unwrap()
        };
        let (rw, read_write) = make(alice.clone(), "read_write", "").await;
        let (_, read_only) = make(alice.clone(), "read", "").await;
        let (_, limited) = make(alice, "read_write", "dockeralice/app").await;
        let setup = security::begin_two_factor(hub, &carol).await.unwrap();
        let code = security::totp_code(&setup.secret, berth_core::clock::now()).unwrap();
        security::enable_two_factor(hub, &carol, &code, &berth_core::activity::Origin::default())
            .await
            .unwrap();
        let (_, two_factor) = make(carol, "read_write", "").await;
        Tokens {
            read_write,
            read_write_id: rw.id,
            read_only,
            limited,
            two_factor,
        }
    }

    /// Runs on the blocking thread of the docker test, after its own steps (logged out, with
    /// dockeralice/app:v1 and dockeralice/other:v1 pushed and app pulled).
    fn check(&self, engine: &Engine, host: &str) {
        let rt = tokio::runtime::Handle::current();
        let s = TestServer::shared();
        let app = format!("{host}/dockeralice/app:v1");
        let other = format!("{host}/dockeralice/other:v1");
        let logged_in = |user: &str, secret: &str| {
            let out = engine.login(host, user, secret);
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            (out.status.success(), text)
        };

        // Read-only: logs in and pulls; a push is refused with the reason.
        let (ok, text) = logged_in("dockeralice", &self.read_only);
        assert!(ok && text.contains("Login Succeeded"), "{text}");
        engine.ok(&["pull", &app]);
        let refused = engine.fails(&["push", &app]);
        assert!(refused.contains("this token is read-only"), "{refused}");

        // Read & write: pushes.
        let (ok, text) = logged_in("dockeralice", &self.read_write);
        assert!(ok, "{text}");
        let pushed = engine.ok(&["push", &app]);
        assert!(pushed.contains("digest: sha256:"), "{pushed}");

        // Limited to dockeralice/app: the owner's private repository next to it is refused.
        rt.block_on(async {
            let alice = berth_core::accounts::user_by_name(s.hub(), "dockeralice")
                .await
                .unwrap()
                .unwrap();
            berth_core::repositories::set_visibility(
                s.hub(),
                &alice,
                "dockeralice/other",
                true,
                "dockeralice/other",
            )
            .await
            .unwrap();
        });
        let (ok, text) = logged_in("dockeralice", &self.limited);
        assert!(ok, "{text}");
        engine.ok(&["pull", &app]);
        let refused = engine.fails(&["pull", &other]);
        assert!(
            refused.contains("this token is limited to dockeralice/app"),
            "{refused}"
        );

        // Deactivated: docker login is refused, saying why.
        rt.block_on(async {
            let alice = berth_core::accounts::user_by_name(s.hub(), "dockeralice")
                .await
                .unwrap()
                .unwrap();
            berth_core::accounts::access_tokens::set_active(
                s.hub(),
                &alice,
                self.read_write_id,
                false,
                &berth_core::activity::Origin::default(),
            )
            .await
            .unwrap();
        });
        let (ok, text) = logged_in("dockeralice", &self.read_write);
        assert!(!ok && text.contains("deactivated"), "{text}");

        // Two-factor authentication on: the password is refused with what to do; a token works.
        let (ok, text) = logged_in("dockercarol", PASSWORD);
        assert!(!ok && text.contains("personal access token"), "{text}");
        let (ok, text) = logged_in("dockercarol", &self.two_factor);
        assert!(ok && text.contains("Login Succeeded"), "{text}");
        engine.ok(&["logout", host]);
    }
}
