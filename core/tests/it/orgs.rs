//! Organizations: one name space with people, invitations by mail, roles and the last owner,
//! teams, removal, and transferring repositories. On both backends.

use berth_core::{
    access::{self, Action, Refusal, Subject},
    accounts::{self, User},
    discover,
    orgs::{self, OrgError},
    registry::{names::RepoName, repos},
    repositories::{self, NewRepo, RepoError},
    Hub,
};

/// The token of the newest invitation mail's link, read from the mail as its reader would.
async fn invitation_token(hub: &Hub, to: &str) -> String {
    let mail = crate::accounts::newest_mail(hub).await;
    assert_eq!(mail.to, to, "the invitation goes to the invitee's address");
    let marker = "/invitations/";
    let start = mail.text.find(marker).expect("link in mail") + marker.len();
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Invites `who` into `org` with `role` (by Berth ID) and accepts with the mailed link.
pub async fn join(hub: &Hub, owner: &User, org: &str, who: &User, role: &str) {
    orgs::invite(hub, owner, org, &who.username, role)
        .await
        .unwrap();
    let token = invitation_token(hub, &who.email).await;
    assert_eq!(orgs::respond(hub, who, &token, true).await.unwrap(), org);
}

async fn exec(hub: &Hub, statement: &str) {
    sqlx::query(statement).execute(hub.db.pool()).await.unwrap();
}

fn field(err: OrgError, name: &str) -> String {
    match err {
        OrgError::Invalid(f) => f.get(name).unwrap_or_else(|| panic!("{f:?}")).to_string(),
        other => panic!("expected a field error on {name}, got {other:?}"),
    }
}

async fn repo(hub: &Hub, full: &str) -> berth_core::registry::repos::Repository {
    repos::find(hub, &RepoName::parse(full).unwrap())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn organizations_share_the_name_space_and_join_by_invitation() {
    let dir = tempfile::tempdir().unwrap();
    let hub = berth_core::testing::open_hub(dir.path(), &[]).await;
    let boss = crate::account(&hub, "boss2", true, false).await;
    let ann = crate::account(&hub, "ann2", true, false).await;
    let bob = crate::account(&hub, "bob2", true, false).await;
    let late = crate::account(&hub, "late2", false, false).await;

    // One name space: names of people and organizations never collide; reserved stay reserved.
    let taken = orgs::create(&hub, &boss, "ann2", "", "x@example.com")
        .await
        .unwrap_err();
    assert!(field(taken, "name").contains("already taken"));
    let reserved = orgs::create(&hub, &boss, "library", "", "x@example.com")
        .await
        .unwrap_err();
    assert!(field(reserved, "name").contains("reserved"));
    assert!(matches!(
        orgs::create(&hub, &late, "late2org", "", "x@example.com").await,
        Err(OrgError::Unconfirmed)
    ));
    let org = orgs::create(&hub, &boss, "acme2", "Acme <Two>", "ops@example.com")
        .await
        .unwrap();
    assert_eq!(org.role, Some(access::OrgRole::Owner));
    let signup = accounts::signup(
        &hub,
        accounts::NewAccount {
            username: "acme2",
            email: "someone@example.com",
            password: "s3cret-pass",
        },
        &berth_core::activity::Origin::default(),
    )
    .await
    .unwrap_err();
    assert!(
        format!("{signup:?}").contains("already taken"),
        "{signup:?}"
    );
    // An organization never logs in, by name or by its notice address.
    assert!(accounts::authenticate(&hub, "acme2", "").await.is_err());
    assert!(accounts::authenticate(&hub, "ops@example.com", "")
        .await
        .is_err());

    // Only owners invite; an invitation by Berth ID is mailed to the account's address and is
    // that account's alone; the link works once.
    let refused = orgs::invite(&hub, &ann, "acme2", "bob2", "member")
        .await
        .unwrap_err();
    assert!(matches!(refused, OrgError::NotFound), "{refused:?}");
    let unknown = orgs::invite(&hub, &boss, "acme2", "nobody2", "member")
        .await
        .unwrap_err();
    assert!(field(unknown, "who").contains("No account"));
    orgs::invite(&hub, &boss, "acme2", "ann2", "editor")
        .await
        .unwrap();
    let token = invitation_token(&hub, "ann2@example.com").await;
    let shown = orgs::invitation(&hub, &token).await.unwrap();
    assert_eq!(
        (shown.org.as_str(), shown.role),
        ("acme2", access::OrgRole::Editor)
    );
    assert!(matches!(
        orgs::respond(&hub, &bob, &token, true).await,
        Err(OrgError::Denied(_))
    ));
    orgs::respond(&hub, &ann, &token, true).await.unwrap();
    assert!(matches!(
        orgs::respond(&hub, &ann, &token, true).await,
        Err(OrgError::InvitationInvalid)
    ));
    let again = orgs::invite(&hub, &boss, "acme2", "ann2", "member")
        .await
        .unwrap_err();
    assert!(field(again, "who").contains("already a member"));

    // By address, before the person has an account: whoever follows the mailed link accepts.
    orgs::invite(&hub, &boss, "acme2", "newcomer@example.com", "member")
        .await
        .unwrap();
    let by_mail = invitation_token(&hub, "newcomer@example.com").await;
    let newcomer = crate::account(&hub, "newcomer2", true, false).await;
    // Listed for the account whose confirmed address it was sent to (after sign-up it is theirs).
    assert!(orgs::invitations_for(&hub, &newcomer)
        .await
        .unwrap()
        .is_empty());
    orgs::respond(&hub, &newcomer, &by_mail, true)
        .await
        .unwrap();

    // Declined, revoked and expired invitations do nothing.
    orgs::invite(&hub, &boss, "acme2", "bob2", "member")
        .await
        .unwrap();
    let listed = orgs::invitations_for(&hub, &bob).await.unwrap();
    assert_eq!(listed.len(), 1, "the dashboard lists it");
    orgs::respond_by_id(&hub, &bob, listed[0].id, false)
        .await
        .unwrap();
    assert!(access::org_role(&hub, org.account.id, &bob)
        .await
        .unwrap()
        .is_none());
    orgs::invite(&hub, &boss, "acme2", "bob2", "member")
        .await
        .unwrap();
    let revoked = invitation_token(&hub, "bob2@example.com").await;
    let pending = orgs::invitations(&hub, &orgs::open(&hub, Some(&boss), "acme2").await.unwrap())
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    orgs::revoke_invitation(&hub, &boss, "acme2", pending[0].id)
        .await
        .unwrap();
    assert!(matches!(
        orgs::respond(&hub, &bob, &revoked, true).await,
        Err(OrgError::InvitationInvalid)
    ));
    orgs::invite(&hub, &boss, "acme2", "bob2", "member")
        .await
        .unwrap();
    let expired = invitation_token(&hub, "bob2@example.com").await;
    exec(&hub, "UPDATE org_invitations SET expires_at = 1").await;
    assert!(matches!(
        orgs::respond(&hub, &bob, &expired, true).await,
        Err(OrgError::InvitationExpired(_))
    ));

    // Roles: editors manage repositories, not members or teams.
    let members = orgs::members(
        &hub,
        &ann,
        &orgs::open(&hub, Some(&ann), "acme2").await.unwrap(),
    )
    .await
    .unwrap();
    let names: Vec<_> = members
        .iter()
        .map(|m| (m.username.as_str(), m.role))
        .collect();
    assert_eq!(
        names,
        [
            ("ann2", access::OrgRole::Editor),
            ("boss2", access::OrgRole::Owner),
            ("newcomer2", access::OrgRole::Member)
        ]
    );
    assert!(matches!(
        orgs::create_team(&hub, &ann, "acme2", "devs", "").await,
        Err(OrgError::Denied(_))
    ));
    // Outsiders do not see members or teams.
    let outside = orgs::open(&hub, Some(&bob), "acme2").await.unwrap();
    assert!(matches!(
        orgs::members(&hub, &bob, &outside).await,
        Err(OrgError::NotFound)
    ));

    // The last owner can neither leave, nor be demoted or removed, nor delete their account.
    for attempt in [
        orgs::remove_member(&hub, &boss, "acme2", "boss2").await,
        orgs::set_role(&hub, &boss, "acme2", "boss2", "member").await,
    ] {
        assert!(
            matches!(attempt, Err(OrgError::Denied(ref m)) if m.contains("needs an owner")),
            "{attempt:?}"
        );
    }
    let kept = accounts::security::delete_account(&hub, &boss, "boss2")
        .await
        .unwrap_err();
    assert!(
        format!("{kept:?}").contains("only owner of acme2"),
        "{kept:?}"
    );
    // Invitations are mails: an organization sends at most 50 an hour (this test sent some).
    let mut sent = 0;
    let refusal = loop {
        match orgs::invite(
            &hub,
            &boss,
            "acme2",
            &format!("many{sent}@example.com"),
            "member",
        )
        .await
        {
            Ok(_) => sent += 1,
            Err(e) => break field(e, "who"),
        }
        assert!(sent <= 50, "an hour's invitations are bounded");
    };
    assert!(
        refusal.contains("50 invitations in the last hour"),
        "{refusal}"
    );
    orgs::set_role(&hub, &boss, "acme2", "ann2", "owner")
        .await
        .unwrap();
    orgs::set_role(&hub, &ann, "acme2", "boss2", "member")
        .await
        .unwrap();
    orgs::remove_member(&hub, &boss, "acme2", "boss2")
        .await
        .unwrap();
    assert!(access::org_role(&hub, org.account.id, &boss)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn teams_give_access_and_removal_takes_it_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let hub = berth_core::testing::open_hub(dir.path(), &[]).await;
    let boss = crate::account(&hub, "boss3", true, false).await;
    let dev = crate::account(&hub, "dev3", true, false).await;
    let outsider = crate::account(&hub, "out3", true, false).await;
    orgs::create(&hub, &boss, "acme3", "", "ops@example.com")
        .await
        .unwrap();
    join(&hub, &boss, "acme3", &dev, "member").await;
    repositories::create(
        &hub,
        &boss,
        NewRepo {
            namespace: "acme3",
            name: "api",
            description: "",
            private: true,
        },
    )
    .await
    .unwrap();
    // The organization's plan holds the quota: a second private repository is refused.
    let over = repositories::create(
        &hub,
        &boss,
        NewRepo {
            namespace: "acme3",
            name: "web",
            description: "",
            private: true,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(over, RepoError::QuotaExceeded { limit: 1, used: 1 }),
        "{over:?}"
    );
    // Members (not editors) cannot create there; nobody can create in an organization they are
    // not in.
    for who in [&dev, &outsider] {
        let refused = repositories::create(
            &hub,
            who,
            NewRepo {
                namespace: "acme3",
                name: "mine",
                description: "",
                private: false,
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(refused, RepoError::Invalid(_)), "{refused:?}");
    }

    let team = orgs::create_team(&hub, &boss, "acme3", "Devs", "the developers")
        .await
        .unwrap();
    assert_eq!(team, "devs");
    let dup = orgs::create_team(&hub, &boss, "acme3", "devs", "")
        .await
        .unwrap_err();
    assert!(field(dup, "name").contains("already has"));
    let not_member = orgs::add_team_member(&hub, &boss, "acme3", "devs", "out3")
        .await
        .unwrap_err();
    assert!(field(not_member, "username").contains("invite them first"));
    orgs::add_team_member(&hub, &boss, "acme3", "devs", "dev3")
        .await
        .unwrap();
    // Collaborators are for people's repositories.
    assert!(matches!(
        repositories::add_collaborator(&hub, &boss, "acme3/api", "out3").await,
        Err(RepoError::Refused(_))
    ));

    let api = repo(&hub, "acme3/api").await;
    let as_dev = Subject::User(dev.clone());
    assert_eq!(
        access::decide(&hub, &as_dev, &api, Action::Pull)
            .await
            .unwrap(),
        Err(Refusal::NotFound),
        "a member without a team's permission does not see a private repository"
    );
    // Another team holds the private repository: a member in neither team sees the team but
    // not the repository's name, nor counts it.
    orgs::create_team(&hub, &boss, "acme3", "ops", "")
        .await
        .unwrap();
    orgs::set_team_permission(&hub, &boss, "acme3/api", "ops", "read")
        .await
        .unwrap();
    let org_as_dev = orgs::open(&hub, Some(&dev), "acme3").await.unwrap();
    let ops = orgs::team(&hub, &dev, &org_as_dev, "ops").await.unwrap();
    assert!(ops.repositories.is_empty(), "{:?}", ops.repositories);
    assert_eq!(ops.team.repositories, 0);
    let listed = orgs::teams(&hub, &dev, &org_as_dev).await.unwrap();
    assert!(listed.iter().all(|t| t.repositories == 0), "{listed:?}");
    let org_as_boss = orgs::open(&hub, Some(&boss), "acme3").await.unwrap();
    let ops = orgs::team(&hub, &boss, &org_as_boss, "ops").await.unwrap();
    assert_eq!(ops.repositories.len(), 1, "the owner sees it");
    // The dashboard switches to the organization: its repositories the member may see (none
    // yet), and the organization is offered after the member's own namespace.
    let d = repositories::dashboard(&hub, &dev, Some("acme3"), false)
        .await
        .unwrap();
    assert_eq!(d.namespaces, ["dev3", "acme3"]);
    assert_eq!(d.namespace, "acme3");
    assert!(d.repositories.is_empty());
    let d = repositories::dashboard(&hub, &boss, Some("acme3"), true)
        .await
        .unwrap();
    assert_eq!(
        d.repositories
            .iter()
            .map(|r| r.full_name.as_str())
            .collect::<Vec<_>>(),
        ["acme3/api"]
    );
    // Not a member: their own namespace instead.
    let d = repositories::dashboard(&hub, &outsider, Some("acme3"), false)
        .await
        .unwrap();
    assert_eq!(d.namespace, "out3");
    orgs::delete_team(&hub, &boss, "acme3", "ops")
        .await
        .unwrap();
    orgs::set_team_permission(&hub, &boss, "acme3/api", "devs", "read")
        .await
        .unwrap();
    assert!(access::decide(&hub, &as_dev, &api, Action::Pull)
        .await
        .unwrap()
        .is_ok());
    let push = access::decide(&hub, &as_dev, &api, Action::Push)
        .await
        .unwrap();
    assert!(
        matches!(push, Err(Refusal::Denied(ref m)) if m.contains("may only pull")),
        "{push:?}"
    );
    orgs::set_team_permission(&hub, &boss, "acme3/api", "devs", "write")
        .await
        .unwrap();
    assert!(access::decide(&hub, &as_dev, &api, Action::Push)
        .await
        .unwrap()
        .is_ok());
    // A site administrator in a writing team pushes like its other members, and still manages.
    let admin = crate::account(&hub, "admin3", true, true).await;
    let as_admin = Subject::User(admin.clone());
    assert!(matches!(
        access::decide(&hub, &as_admin, &api, Action::Push)
            .await
            .unwrap(),
        Err(Refusal::Denied(_))
    ));
    join(&hub, &boss, "acme3", &admin, "member").await;
    orgs::add_team_member(&hub, &boss, "acme3", "devs", "admin3")
        .await
        .unwrap();
    for action in [Action::Push, Action::Delete, Action::Administer] {
        assert!(
            access::decide(&hub, &as_admin, &api, action)
                .await
                .unwrap()
                .is_ok(),
            "{action:?}"
        );
    }
    // Only those who manage the repository set team permissions.
    assert!(matches!(
        orgs::set_team_permission(&hub, &dev, "acme3/api", "devs", "admin").await,
        Err(OrgError::Denied(_))
    ));
    let detail = orgs::team(
        &hub,
        &dev,
        &orgs::open(&hub, Some(&dev), "acme3").await.unwrap(),
        "devs",
    )
    .await
    .unwrap();
    assert_eq!(detail.members, ["admin3", "dev3"]);
    assert_eq!(
        detail.repositories,
        [("api".to_string(), access::TeamPermission::Write)]
    );

    // An admin team manages the repository but cannot take it out of the organization.
    orgs::set_team_permission(&hub, &boss, "acme3/api", "devs", "admin")
        .await
        .unwrap();
    assert!(access::decide(&hub, &as_dev, &api, Action::Administer)
        .await
        .unwrap()
        .is_ok());
    let taken = repositories::transfer(&hub, &dev, "acme3/api", "dev3", "api")
        .await
        .unwrap_err();
    assert!(
        matches!(taken, RepoError::Refused(ref m) if m.contains("owners and editors")),
        "{taken:?}"
    );
    // Removing the member ends their access with the next decision.
    orgs::remove_member(&hub, &boss, "acme3", "dev3")
        .await
        .unwrap();
    assert_eq!(
        access::decide(&hub, &as_dev, &api, Action::Pull)
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
    let detail = orgs::team(
        &hub,
        &boss,
        &orgs::open(&hub, Some(&boss), "acme3").await.unwrap(),
        "devs",
    )
    .await
    .unwrap();
    assert_eq!(detail.members, ["admin3"], "removal also leaves the teams");

    // Deleting the organization deletes its repositories.
    let wrong = orgs::delete(&hub, &boss, "acme3", "acme")
        .await
        .unwrap_err();
    assert!(field(wrong, "confirm").contains("Type acme3"));
    orgs::delete(&hub, &boss, "acme3", "acme3").await.unwrap();
    assert!(repos::find(&hub, &RepoName::parse("acme3/api").unwrap())
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        orgs::open(&hub, Some(&boss), "acme3").await,
        Err(OrgError::NotFound)
    ));
    // One person owns at most 20 organizations; one organization has at most 100 teams.
    for n in 0..orgs::OWNED_MAX {
        orgs::create(&hub, &outsider, &format!("many{n}org"), "", "x@example.com")
            .await
            .unwrap();
    }
    let over = orgs::create(&hub, &outsider, "onemoreorg", "", "x@example.com")
        .await
        .unwrap_err();
    assert!(field(over, "name").contains("the most one person may"));
    for n in 0..orgs::TEAMS_MAX {
        orgs::create_team(&hub, &outsider, "many0org", &format!("team{n}"), "")
            .await
            .unwrap();
    }
    let over = orgs::create_team(&hub, &outsider, "many0org", "onemore", "")
        .await
        .unwrap_err();
    assert!(field(over, "name").contains("100 teams"));
    // Its name is retired: nobody takes it over with the image names people pulled.
    let retired = orgs::create(&hub, &outsider, "acme3", "", "x@example.com")
        .await
        .unwrap_err();
    assert!(
        field(retired, "name").contains("already taken"),
        "retired name"
    );
}

#[tokio::test]
async fn a_transferred_repository_keeps_its_stars_and_its_old_name_points_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let hub = berth_core::testing::open_hub(dir.path(), &[]).await;
    let boss = crate::account(&hub, "boss4", true, false).await;
    let fan = crate::account(&hub, "fan4", true, false).await;
    let stranger = crate::account(&hub, "str4", true, false).await;
    orgs::create(&hub, &boss, "acme4", "", "ops@example.com")
        .await
        .unwrap();
    for (name, private) in [("app", false), ("secret", true)] {
        repositories::create(
            &hub,
            &boss,
            NewRepo {
                namespace: "boss4",
                name,
                description: "",
                private,
            },
        )
        .await
        .unwrap();
    }
    repositories::add_collaborator(&hub, &boss, "boss4/app", "str4")
        .await
        .unwrap();
    discover::set_star(&hub, &fan, "boss4", "app", true)
        .await
        .unwrap();

    // Only into a namespace the user manages, confirmed by name.
    let confirm = repositories::transfer(&hub, &boss, "boss4/app", "acme4", "nope")
        .await
        .unwrap_err();
    assert!(
        matches!(confirm, RepoError::Invalid(ref f) if f.get("confirm").is_some()),
        "{confirm:?}"
    );
    let elsewhere = repositories::transfer(&hub, &boss, "boss4/app", "fan4", "app")
        .await
        .unwrap_err();
    assert!(matches!(elsewhere, RepoError::Invalid(ref f) if f.get("namespace").is_some()));
    assert!(matches!(
        repositories::transfer(&hub, &fan, "boss4/app", "fan4", "app").await,
        Err(RepoError::NotOwner)
    ));

    let moved = repositories::transfer(&hub, &boss, "boss4/app", "acme4", "app")
        .await
        .unwrap();
    assert_eq!(moved.full_name, "acme4/app");
    assert_eq!(moved.star_count, 1, "stars move with it");
    // Collaborators stay behind: organizations give access through teams.
    let push = access::decide(&hub, &Subject::User(stranger.clone()), &moved, Action::Push)
        .await
        .unwrap();
    assert!(matches!(push, Err(Refusal::Denied(_))), "{push:?}");
    let old = RepoName::parse("boss4/app").unwrap();
    // The old name serves pulls and redirects pages; pushes to it would create a repository.
    assert_eq!(
        repos::find_for(&hub, &old, Action::Pull)
            .await
            .unwrap()
            .map(|r| r.id),
        Some(moved.id)
    );
    assert!(repos::find_for(&hub, &old, Action::Push)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        repositories::open(&hub, Some(&fan), "boss4", "app").await,
        Err(RepoError::Moved(ref to)) if to == "acme4/app"
    ));

    // A private repository must fit the new owner's plan, and its old name tells nothing to
    // those who may not see it.
    repositories::create(
        &hub,
        &boss,
        NewRepo {
            namespace: "acme4",
            name: "taken",
            description: "",
            private: true,
        },
    )
    .await
    .unwrap();
    let quota = repositories::transfer(&hub, &boss, "boss4/secret", "acme4", "secret")
        .await
        .unwrap_err();
    assert!(
        matches!(quota, RepoError::QuotaExceeded { .. }),
        "{quota:?}"
    );
    repositories::set_visibility(&hub, &boss, "acme4/taken", false, "taken")
        .await
        .unwrap();
    repositories::transfer(&hub, &boss, "boss4/secret", "acme4", "secret")
        .await
        .unwrap();
    assert!(matches!(
        repositories::open(&hub, Some(&fan), "boss4", "secret").await,
        Err(RepoError::NotFound)
    ));

    // A name in use cannot be moved onto.
    repositories::create(
        &hub,
        &boss,
        NewRepo {
            namespace: "boss4",
            name: "taken",
            description: "",
            private: false,
        },
    )
    .await
    .unwrap();
    let collision = repositories::transfer(&hub, &boss, "boss4/taken", "acme4", "taken")
        .await
        .unwrap_err();
    assert!(
        matches!(collision, RepoError::Invalid(ref f) if f.get("namespace").is_some_and(|m| m.contains("already exists"))),
        "{collision:?}"
    );

    // Creating a repository under the old name ends the redirect.
    repositories::create(
        &hub,
        &boss,
        NewRepo {
            namespace: "boss4",
            name: "app",
            description: "",
            private: false,
        },
    )
    .await
    .unwrap();
    let reused = repos::find_for(&hub, &old, Action::Pull)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(reused.id, moved.id);
    assert!(repositories::open(&hub, Some(&fan), "boss4", "app")
        .await
        .is_ok());
    // And back: the organization's repository moves to its owner's namespace under a free name.
    let back = repositories::transfer(&hub, &boss, "acme4/secret", "boss4", "secret")
        .await
        .unwrap();
    assert_eq!(back.full_name, "boss4/secret");
    assert!(repos::find_for(
        &hub,
        &RepoName::parse("boss4/secret").unwrap(),
        Action::Pull
    )
    .await
    .unwrap()
    .is_some_and(|r| r.id == back.id));
}

/// Two owners deleting their accounts at the same moment, or one leaving while the other
/// deletes: never both, so an organization always keeps an owner. Fails on a check made outside
/// the deleting transaction (the attacker's 4 of 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_owner_rule_holds_under_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    let hub = berth_core::testing::open_hub(dir.path(), &[]).await;
    let rounds = if berth_core::testing::on_postgres() {
        4
    } else {
        8
    };
    for round in 0..rounds {
        let a = crate::account(&hub, &format!("owna{round}"), true, false).await;
        let b = crate::account(&hub, &format!("ownb{round}"), true, false).await;
        let org = format!("race{round}");
        orgs::create(&hub, &a, &org, "", "ops@example.com")
            .await
            .unwrap();
        join(&hub, &a, &org, &b, "owner").await;
        let leave = round % 2 == 1;
        let first = {
            let (hub, a) = (hub.clone(), a.clone());
            tokio::spawn(async move {
                berth_core::accounts::security::delete_account(&hub, &a, &a.username)
                    .await
                    .is_ok()
            })
        };
        let second = {
            let (hub, b, org) = (hub.clone(), b.clone(), org.clone());
            tokio::spawn(async move {
                if leave {
                    orgs::remove_member(&hub, &b, &org, &b.username)
                        .await
                        .is_ok()
                } else {
                    berth_core::accounts::security::delete_account(&hub, &b, &b.username)
                        .await
                        .is_ok()
                }
            })
        };
        let (first, second) = (first.await.unwrap(), second.await.unwrap());
        assert!(
            !(first && second),
            "round {round}: both went, {org} has no owner"
        );
        let owners: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM org_members m JOIN users u ON u.id = m.org_id
             WHERE u.username = $1 AND m.role = 'owner'",
        )
        .bind(&org)
        .fetch_one(hub.db.pool())
        .await
        .unwrap();
        assert!(owners >= 1, "round {round}: {org} has no owner");
    }
}

/// An invitation does not outlive its sender's membership: removed (or gone), what they invited
/// others to is withdrawn, and its link no longer works.
#[tokio::test]
async fn an_invitation_goes_with_the_member_who_sent_it() {
    let dir = tempfile::tempdir().unwrap();
    let hub = berth_core::testing::open_hub(dir.path(), &[]).await;
    let boss = crate::account(&hub, "invboss", true, false).await;
    let second = crate::account(&hub, "invsecond", true, false).await;
    let friend = crate::account(&hub, "invfriend", true, false).await;
    orgs::create(&hub, &boss, "invorg", "", "ops@example.com")
        .await
        .unwrap();
    join(&hub, &boss, "invorg", &second, "owner").await;
    orgs::invite(&hub, &second, "invorg", "invfriend", "member")
        .await
        .unwrap();
    let token = invitation_token(&hub, &friend.email).await;
    assert!(orgs::invitation(&hub, &token).await.is_ok());
    orgs::remove_member(&hub, &boss, "invorg", "invsecond")
        .await
        .unwrap();
    assert!(matches!(
        orgs::invitation(&hub, &token).await,
        Err(OrgError::InvitationInvalid)
    ));
    let org = orgs::open(&hub, Some(&boss), "invorg").await.unwrap();
    assert!(orgs::invitations(&hub, &org).await.unwrap().is_empty());
    assert!(orgs::respond(&hub, &friend, &token, true).await.is_err());
}
